//! The About sheet's lines, in the plan's language: what the workbook is, when and by which
//! models it was made, what is missing and why a sheet is empty, the review's score, and a
//! caution (or, in a main part, where the named sheets are).

use super::{MESSAGES, METRICS, POINTS, people};
use crate::plan::Plan;
use crate::plan::render::{Part, marking};
use crate::sections::{Kind, Structured};

/// Names as a list in the plan's language, or "none".
fn list(plan: &Plan, names: &[String]) -> String {
    match names {
        [] => plan.t("plan.none").into(),
        names => plan.language.list(names),
    }
}

/// Each line's label and text.
pub(super) fn lines<'p>(plan: &'p Plan, part: &Part) -> Vec<(&'p str, String)> {
    let l = &plan.language;
    let info = &plan.project.project;
    let given = |v: &Option<String>| v.clone().unwrap_or_else(|| plan.t("plan.not_given").into());
    let (p, version) = (&plan.provenance, env!("CARGO_PKG_VERSION"));
    let generated = [("date", plan.today.as_str()), ("version", version)];
    let mut lines = vec![
        (plan.t("xlsx.about_project"), given(&info.name)),
        (plan.t("xlsx.about_system"), given(&info.system)),
        (plan.t("xlsx.about_department"), given(&info.department)),
        (
            plan.t("xlsx.about_generated"),
            l.format("xlsx.generated_by", &generated),
        ),
        (plan.t("xlsx.about_models"), list(plan, &p.models)),
        (plan.t("xlsx.about_endpoints"), list(plan, &p.endpoints)),
        (plan.t("xlsx.about_pasted"), l.number(p.pasted as i64)),
        (
            plan.t("xlsx.about_tokens"),
            l.number(i64::try_from(p.total_usage.total_tokens).unwrap_or(i64::MAX)),
        ),
        (plan.t("xlsx.about_missing"), list(plan, &p.missing)),
    ];
    let sheets = [
        (Kind::Engagement, people::ENGAGEMENT.sheet),
        (Kind::Communication, MESSAGES.sheet),
        (Kind::Resistance, POINTS.sheet),
        (Kind::Metrics, METRICS.sheet),
    ];
    for (kind, sheet) in sheets {
        let Some(s) = plan.built_in(kind) else {
            continue;
        };
        let id = kind.id();
        let empty = plan.t(match kind {
            Kind::Communication => "xlsx.empty_matrix",
            Kind::Engagement => "xlsx.empty_register",
            Kind::Resistance | Kind::Metrics => "xlsx.empty_tracker",
        });
        let status = match &s.answer {
            None => l.format("xlsx.section_missing", &[("id", id), ("empty", empty)]),
            // Prose, or a custom schema on a built-in section: not in the tracker's shape.
            Some(a)
                if (a.structured.as_ref()).is_none_or(|x| matches!(x, Structured::Custom(_))) =>
            {
                let key = match a.structured {
                    Some(_) => "xlsx.answer_custom",
                    None => "xlsx.answer_prose",
                };
                let why = (a.unstructured.as_deref())
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                l.format(key, &[("id", id), ("why", &why), ("empty", empty)])
            }
            Some(_) if s.stale => plan.t("xlsx.filled_stale").into(),
            Some(_) => plan.t("xlsx.filled").into(),
        };
        lines.push((plan.t(sheet), status));
    }
    if let Some(r) = &plan.review {
        use crate::plan::review::Verdict;
        let n = |v| l.number(r.count(v) as i64);
        let score = l.format(
            "xlsx.review_score",
            &[
                ("score", &r.score.to_string()),
                ("fails", &n(Verdict::Fail)),
                ("warns", &n(Verdict::Warn)),
                ("passes", &n(Verdict::Pass)),
            ],
        );
        lines.push((plan.t("xlsx.about_review_score"), score));
    }
    if !plan.other_changes.is_empty() {
        let each: Vec<String> = (plan.other_changes.iter())
            .map(|o| {
                let projects: Vec<String> = (o.projects.iter())
                    .map(|p| match &p.go_live {
                        Some(week) => {
                            let when = l.format("stakeholders.go_live_week", &[("week", week)]);
                            format!("{} ({when})", p.project)
                        }
                        None => p.project.clone(),
                    })
                    .collect();
                let mut projects = projects.join("; ");
                if o.more > 0 {
                    let more = l.number(o.more as i64);
                    let more = l.format("stakeholders.other_changes_more", &[("n", &more)]);
                    projects = format!("{projects}; {more}");
                }
                format!("{}: {projects}", o.group)
            })
            .collect();
        lines.push((plan.t("xlsx.about_other_changes"), each.join("\n")));
    }
    lines.extend([
        (
            plan.t("xlsx.about_metric_colours"),
            plan.t("xlsx.higher_is_better").into(),
        ),
        match part {
            Part::Main { annex } => (
                plan.t("xlsx.about_annex"),
                l.format(
                    "xlsx.in_annex",
                    &[("annex", annex), ("marking", marking(plan))],
                ),
            ),
            _ => (
                plan.t("xlsx.about_confidential"),
                plan.t("xlsx.confidential").into(),
            ),
        },
        (plan.t("xlsx.about_version"), version.to_string()),
    ]);
    lines
}
