//! The workbook's named sheets: the stakeholder register, the engagement tracker and the
//! champions; and the confidential annex's workbook, which holds them alone, marked in every
//! sheet's header and footer and in the document's properties.

use super::{AMBER, GREY, Page, RED, SPARE_ROWS, Spec, X, about, fill, note, t, texts, tracker};
use crate::plan::Plan;
use crate::plan::render::MARKING;
use crate::project::{Level, Stance};
use crate::sections::table::list as list_cell;
use rust_xlsxwriter::{
    ColNum, ConditionalFormatCell, ConditionalFormatCellRule, DocProperties, Workbook,
};

const LEVELS: &[&str] = Level::NAMES;
const STANCES: &[&str] = Stance::NAMES;
/// The stances a plan aims for ([`crate::sections::engagement::TARGETS`]).
const TARGET_NAMES: &[&str] = &["neutral", "supportive", "leading"];
pub(super) const PEOPLE: Spec = Spec {
    sheet: "Stakeholders",
    table: "StakeholderRegister",
    widths: &[(7, 16.0), (8, 18.0), (9, 36.0)],
    lists: &[(3, LEVELS), (4, LEVELS), (5, STANCES), (7, STANCES)],
    dates: &[],
};
/// The register with each stakeholder's code first, as the annex shows it.
const CODED_PEOPLE: Spec = Spec {
    sheet: "Stakeholders",
    table: "StakeholderRegister",
    widths: &[(8, 16.0), (9, 18.0), (10, 36.0)],
    lists: &[(4, LEVELS), (5, LEVELS), (6, STANCES), (8, STANCES)],
    dates: &[],
};
pub(super) const ENGAGEMENT: Spec = Spec {
    sheet: "Engagement",
    table: "StakeholderEngagement",
    widths: &[(9, 14.0), (10, 13.0)],
    lists: &[
        (3, TARGET_NAMES),
        (9, &["Not started", "In progress", "Moved", "Stuck"]),
    ],
    dates: &[10],
};
const CHAMPIONS: Spec = Spec {
    sheet: "Champions",
    table: "ChampionNetwork",
    widths: &[(3, 14.0)],
    lists: &[(3, &["Asked", "Agreed", "Active"])],
    dates: &[],
};

/// The register, one row per stakeholder (each one's code first when `coded`), with the
/// desired stance, owner and next action taken from the engagement plan when there is one.
pub(super) fn stakeholders(wb: &mut Workbook, plan: &Plan, page: &Page, coded: bool) -> X {
    let plans = plan.engagement().map_or(&[][..], |e| e.rows.as_slice());
    let codes = crate::sections::engagement::codes(&plan.project);
    let rows = (plan.project.stakeholders.iter().enumerate())
        .map(|(i, s)| {
            let mut row = Vec::new();
            if coded {
                row.push(t(&codes[i]));
            }
            row.extend(crate::plan::register_row(s).iter().map(|c| t(c)));
            if let Some((_, r)) = plans.get(i) {
                let first = r.actions.first().map_or("", String::as_str);
                row.extend(texts(&[r.target_stance.as_str(), &r.engaged_by, first]));
            }
            row
        })
        .collect();
    let mut columns = Vec::new();
    if coded {
        columns.push("Code");
    }
    columns.extend(crate::plan::REGISTER_COLUMNS);
    columns.extend(["Desired stance", "Owner", "Next action"]);
    let spec = [&PEOPLE, &CODED_PEOPLE][usize::from(coded)];
    let (ws, last) = tracker(wb, (spec, page), &columns, rows)?;
    let col: ColNum = 5 + ColNum::from(coded);
    let stances = [Stance::Resistant, Stance::Unaware, Stance::Unknown];
    for (stance, colours) in stances.into_iter().zip([RED, AMBER, GREY]) {
        let rule = ConditionalFormatCell::new();
        let rule = rule.set_rule(ConditionalFormatCellRule::EqualTo(stance.as_str()));
        let rule = rule.set_format(fill(colours));
        ws.add_conditional_format(1, col, last + SPARE_ROWS, col, &rule)?;
    }
    let text = "Where they stand today. Red: resistant, amber: unaware, grey: unknown; each needs work before go-live.";
    ws.insert_note(0, col, &note(text))?;
    Ok(())
}

/// The engagement plan as a tracker: every stakeholder in register order (a row to fill in
/// even without an answer), the plan's columns, then status and last contact.
pub(super) fn engagement(wb: &mut Workbook, plan: &Plan, page: &Page) -> X {
    let plans = plan.engagement().map_or(&[][..], |e| e.rows.as_slice());
    let rows = (plan.project.stakeholders.iter().enumerate())
        .map(|(i, s)| {
            let mut row = texts(&[&s.name, &s.group, s.stance.as_str()]);
            if let Some((_, r)) = plans.get(i) {
                let actions = list_cell(&r.actions);
                row.extend(texts(&[
                    r.target_stance.as_str(),
                    &r.what_matters,
                    &actions,
                ]));
                row.extend(texts(&[&r.engaged_by, &r.when, &r.sign_of_progress]));
            }
            row
        })
        .collect();
    let columns = "Stakeholder|Group|Stance now|Target stance|What matters to them|Engagement actions|Who engages them|When|Sign of progress|Status|Last contact";
    let columns: Vec<&str> = columns.split('|').collect();
    let (ws, last) = tracker(wb, (&ENGAGEMENT, page), &columns, rows)?;
    for (stance, colours) in [Stance::Resistant, Stance::Unaware]
        .into_iter()
        .zip([RED, AMBER])
    {
        let rule = ConditionalFormatCell::new();
        let rule = rule.set_rule(ConditionalFormatCellRule::EqualTo(stance.as_str()));
        ws.add_conditional_format(1, 2, last + SPARE_ROWS, 2, &rule.set_format(fill(colours)))?;
    }
    let text = "Where the change needs them by go-live. Update Status and Last contact as the engagement goes.";
    ws.insert_note(0, 3, &note(text))?;
    Ok(())
}

fn champions(wb: &mut Workbook, plan: &Plan, page: &Page) -> X {
    let rows = (plan.project.champions.iter())
        .map(|c| {
            let group = c.group.as_deref().unwrap_or_default();
            texts(&[&c.name, group, c.why.as_deref().unwrap_or_default()])
        })
        .collect();
    let columns = ["Champion", "Group", "Why them", "Status"];
    tracker(wb, (&CHAMPIONS, page), &columns, rows)?;
    Ok(())
}

/// The confidential annex as a workbook: the register with codes, the engagement tracker and
/// the champions, each sheet marked in its header and footer; the workbook's title, category,
/// keywords, status and a custom Classification property say what it is.
pub fn render_annex(plan: &Plan) -> crate::error::Result<Vec<u8>> {
    let build = || -> X<Vec<u8>> {
        let mut wb = Workbook::new();
        let page = Page::marked(plan);
        stakeholders(&mut wb, plan, &page, plan.people.allows_people())?;
        if plan.built_in(crate::sections::Kind::Engagement).is_some() {
            engagement(&mut wb, plan, &page)?;
        }
        champions(&mut wb, plan, &page)?;
        let name = plan
            .project
            .project
            .name
            .as_deref()
            .unwrap_or("the project");
        let title = format!("{MARKING}: {name}");
        about(wb.add_worksheet(), &title, &annex_lines(plan), &page)?;
        let properties = DocProperties::new()
            .set_title(&title)
            .set_subject(format!("Annex to the implementation plan for {name}"))
            .set_category(MARKING)
            .set_keywords(MARKING)
            .set_status(MARKING)
            .set_comment(
                "Names people and their stances: keep it to the people running the change.",
            )
            .set_custom_property("Classification", MARKING);
        wb.set_properties(&properties);
        wb.save_to_buffer()
    };
    build().map_err(|e| crate::error::Error::Other(format!("cannot write the workbook: {e}")))
}

/// The annex's About sheet: what it is, and where the plan it belongs to is.
fn annex_lines(plan: &Plan) -> Vec<(&'static str, String)> {
    let info = &plan.project.project;
    let engagement = match plan.built_in(crate::sections::Kind::Engagement) {
        Some(s) if s.answer.is_some() => {
            "filled from the engagement plan: desired stance, owner and first action on the Stakeholders sheet too."
        }
        Some(_) => {
            "the engagement section has no answer yet: the sheet lists every stakeholder to fill in."
        }
        None => {
            "not drafted: with people = \"local\", no engagement plan is asked for (choose people = \"pseudonymised\" to draft one without sending a name)."
        }
    };
    let mut lines = vec![
        (
            "Confidential",
            format!(
                "{MARKING}. This workbook names people and where they stand: keep it to the people running the change, out of shared folders and chat tools."
            ),
        ),
        (
            "Project",
            info.name.clone().unwrap_or_else(|| "not given".into()),
        ),
        (
            "Generated",
            format!("{} by plan-ai {}", plan.today, env!("CARGO_PKG_VERSION")),
        ),
        ("Engagement", engagement.into()),
    ];
    if plan.people.allows_people() {
        lines.push(("Codes", "The plan refers to people by code (S01, S02…): the Code column on the Stakeholders sheet says who each one is.".into()));
    }
    lines
}
