//! The workbook's named sheets: the stakeholder register, the engagement tracker and the
//! champions; and the confidential annex's workbook, which holds them alone, marked in every
//! sheet's header and footer and in the document's properties.

use super::{AMBER, GREY, Page, RED, SPARE_ROWS, Spec, X, about, fill, note, t, texts, tracker};
use crate::plan::Plan;
use crate::plan::render::marking;
use crate::project::Stance;
use crate::sections::table::list as list_cell;
use rust_xlsxwriter::{
    ColNum, ConditionalFormatCell, ConditionalFormatCellRule, DocProperties, Workbook,
};

const LEVELS: &[&str] = &["level.high", "level.medium", "level.low"];
const STANCES: &[&str] = &[
    "stance.unknown",
    "stance.unaware",
    "stance.resistant",
    "stance.neutral",
    "stance.supportive",
    "stance.leading",
];
/// The stances a plan aims for ([`crate::sections::engagement::TARGETS`]).
const TARGET_NAMES: &[&str] = &["stance.neutral", "stance.supportive", "stance.leading"];
pub(super) const PEOPLE: Spec = Spec {
    sheet: "sheet.stakeholders",
    table: "StakeholderRegister",
    widths: &[(7, 16.0), (8, 18.0), (9, 36.0)],
    lists: &[(3, LEVELS), (4, LEVELS), (5, STANCES), (7, STANCES)],
    dates: &[],
};
/// The register with each stakeholder's code first, as the annex shows it.
const CODED_PEOPLE: Spec = Spec {
    sheet: "sheet.stakeholders",
    table: "StakeholderRegister",
    widths: &[(8, 16.0), (9, 18.0), (10, 36.0)],
    lists: &[(4, LEVELS), (5, LEVELS), (6, STANCES), (8, STANCES)],
    dates: &[],
};
pub(super) const ENGAGEMENT: Spec = Spec {
    sheet: "sheet.engagement",
    table: "StakeholderEngagement",
    widths: &[(9, 14.0), (10, 13.0)],
    lists: &[
        (3, TARGET_NAMES),
        (
            9,
            &[
                "status.not_started",
                "status.in_progress",
                "status.moved",
                "status.stuck",
            ],
        ),
    ],
    dates: &[10],
};
const CHAMPIONS: Spec = Spec {
    sheet: "sheet.champions",
    table: "ChampionNetwork",
    widths: &[(3, 14.0)],
    lists: &[(3, &["status.asked", "status.agreed", "status.active"])],
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
            row.extend(
                crate::plan::register_row(s, &plan.language)
                    .iter()
                    .map(|c| t(c)),
            );
            if let Some((_, r)) = plans.get(i) {
                let first = r.actions.first().map_or("", String::as_str);
                row.extend(texts(&[plan.term(r.target_stance), &r.engaged_by, first]));
            }
            row
        })
        .collect();
    let mut columns = Vec::new();
    if coded {
        columns.push("column.code");
    }
    columns.extend(crate::plan::REGISTER_COLUMNS);
    columns.extend([
        "column.desired_stance",
        "column.owner",
        "column.next_action",
    ]);
    let spec = [&PEOPLE, &CODED_PEOPLE][usize::from(coded)];
    let (ws, last) = tracker(wb, (spec, page), &columns, rows)?;
    let col: ColNum = 5 + ColNum::from(coded);
    let stances = [Stance::Resistant, Stance::Unaware, Stance::Unknown];
    for (stance, colours) in stances.into_iter().zip([RED, AMBER, GREY]) {
        let rule = ConditionalFormatCell::new();
        let rule = rule.set_rule(ConditionalFormatCellRule::EqualTo(plan.term(stance)));
        let rule = rule.set_format(fill(colours));
        ws.add_conditional_format(1, col, last + SPARE_ROWS, col, &rule)?;
    }
    ws.insert_note(0, col, &note(plan.t("xlsx.stance_note")))?;
    Ok(())
}

/// The engagement plan as a tracker: every stakeholder in register order (a row to fill in
/// even without an answer), the plan's columns, then status and last contact.
pub(super) fn engagement(wb: &mut Workbook, plan: &Plan, page: &Page) -> X {
    let plans = plan.engagement().map_or(&[][..], |e| e.rows.as_slice());
    let rows = (plan.project.stakeholders.iter().enumerate())
        .map(|(i, s)| {
            let mut row = texts(&[&s.name, &s.group, plan.term(s.stance)]);
            if let Some((_, r)) = plans.get(i) {
                let actions = list_cell(&r.actions);
                row.extend(texts(&[
                    plan.term(r.target_stance),
                    &r.what_matters,
                    &actions,
                ]));
                row.extend(texts(&[&r.engaged_by, &r.when, &r.sign_of_progress]));
            }
            row
        })
        .collect();
    let columns = "stakeholder|group|stance_now|target_stance|what_matters|engagement_actions|engaged_by|when|sign_of_progress|status|last_contact";
    let columns: Vec<String> = columns.split('|').map(|c| format!("column.{c}")).collect();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let (ws, last) = tracker(wb, (&ENGAGEMENT, page), &columns, rows)?;
    for (stance, colours) in [Stance::Resistant, Stance::Unaware]
        .into_iter()
        .zip([RED, AMBER])
    {
        let rule = ConditionalFormatCell::new();
        let rule = rule.set_rule(ConditionalFormatCellRule::EqualTo(plan.term(stance)));
        ws.add_conditional_format(1, 2, last + SPARE_ROWS, 2, &rule.set_format(fill(colours)))?;
    }
    ws.insert_note(0, 3, &note(plan.t("xlsx.target_stance_note")))?;
    Ok(())
}

fn champions(wb: &mut Workbook, plan: &Plan, page: &Page) -> X {
    let rows = (plan.project.champions.iter())
        .map(|c| {
            let group = c.group.as_deref().unwrap_or_default();
            texts(&[&c.name, group, c.why.as_deref().unwrap_or_default()])
        })
        .collect();
    let columns = [
        "column.champion",
        "column.group",
        "column.why_them",
        "column.status",
    ];
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
        let name =
            (plan.project.project.name.as_deref()).unwrap_or_else(|| plan.t("plan.the_project"));
        let marking = marking(plan);
        let l = &plan.language;
        let title = l.format("annex.heading", &[("marking", marking), ("project", name)]);
        about(wb.add_worksheet(), &title, &annex_lines(plan), &page)?;
        // The custom property's name stays "Classification": labelling and DLP tools look
        // for it by that name.
        let properties = DocProperties::new()
            .set_title(&title)
            .set_subject(l.format("annex.subject", &[("project", name)]))
            .set_category(marking)
            .set_keywords(marking)
            .set_status(marking)
            .set_comment(plan.t("annex.comment"))
            .set_custom_property("Classification", marking);
        wb.set_properties(&properties);
        wb.save_to_buffer()
    };
    build().map_err(|e| crate::error::Error::Other(format!("cannot write the workbook: {e}")))
}

/// The annex's About sheet: what it is, and where the plan it belongs to is.
fn annex_lines(plan: &Plan) -> Vec<(&str, String)> {
    let info = &plan.project.project;
    let engagement = plan.t(match plan.built_in(crate::sections::Kind::Engagement) {
        Some(s) if s.answer.is_some() => "xlsx.engagement_filled",
        Some(_) => "xlsx.engagement_missing",
        None => "xlsx.engagement_local",
    });
    let generated = [
        ("date", plan.today.as_str()),
        ("version", env!("CARGO_PKG_VERSION")),
    ];
    let mut lines = vec![
        (
            plan.t("xlsx.about_confidential"),
            (plan.language).format("xlsx.annex_confidential", &[("marking", marking(plan))]),
        ),
        (
            plan.t("xlsx.about_project"),
            (info.name.clone()).unwrap_or_else(|| plan.t("plan.not_given").into()),
        ),
        (
            plan.t("xlsx.about_generated"),
            plan.language.format("xlsx.generated_by", &generated),
        ),
        (plan.t("xlsx.about_engagement"), engagement.into()),
    ];
    if plan.people.allows_people() {
        lines.push((plan.t("xlsx.about_codes"), plan.t("xlsx.codes").into()));
    }
    lines
}
