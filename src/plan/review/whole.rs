//! The whole plan: every section there and structured, nothing repeated or left empty, no
//! invented statistics, dates that fit the project, no names that were never sent, a champion
//! for each group whose work changes, and answers made from the project file as it is.

use super::checks::{
    PLAN_CHAMPIONS, PLAN_COMPLETE, PLAN_DATES, PLAN_DISTINCT, PLAN_FILLED, PLAN_MYTHS, PLAN_NAMES,
    PLAN_STALE, PLAN_STRUCTURED,
};
use super::words::{dated, is_placeholder, myths_in, names_milestone, same};
use super::{Facts, Finding, Verdict, finding, judged};
use crate::i18n::Language;
use crate::plan::Plan;
use crate::project::{Project, day_of};
use crate::sections::Structured;
use crate::text::{contains_word, contains_word_lowered};

/// Weeks before the earliest of go-live and the milestones, and after go-live, that a date in
/// the plan may fall in.
const WEEKS_BEFORE: i64 = 26;
const WEEKS_AFTER: i64 = 52;

/// One generated text: the section, the row it belongs to (none for a summary or prose), the
/// field, and the text.
struct Text<'a> {
    section: &'a str,
    item: Option<&'a str>,
    field: &'static str,
    text: &'a str,
}

pub fn check(plan: &Plan, facts: &Facts, out: &mut Vec<Finding>) {
    let l = &plan.language;
    sections(plan, facts, out);
    let texts = texts(plan);
    distinct(plan, out);
    filled(&texts, out, l);
    myths(&texts, out, l);
    dates(&texts, &plan.project, out, l);
    if !facts.people_shared {
        names(&texts, &plan.project, out, l);
    }
    champions(&plan.project, out, l);
}

/// Every section answered, built-in ones structured, and none made from older project data.
fn sections(plan: &Plan, facts: &Facts, out: &mut Vec<Finding>) {
    let changed = facts.project_changed.and_then(|t| {
        let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        Some(crate::text::rfc3339(secs as i64))
    });
    let l = &plan.language;
    for s in &plan.sections {
        let about = |check, verdict, message: String| Finding {
            section: s.id.clone(),
            ..judged(check, None, verdict, message)
        };
        let title = [("section", s.title.as_str())];
        let Some(a) = &s.answer else {
            let message = l.format("finding.no_answer", &title);
            out.push(about(&PLAN_COMPLETE, Verdict::Fail, message));
            continue;
        };
        out.push(about(
            &PLAN_COMPLETE,
            Verdict::Pass,
            PLAN_COMPLETE.passed.into(),
        ));
        if s.built_in {
            let (verdict, message) = match &a.structured {
                Some(Structured::Custom(_)) | None => {
                    (Verdict::Warn, l.format("finding.prose", &title))
                }
                Some(_) => (Verdict::Pass, PLAN_STRUCTURED.passed.into()),
            };
            out.push(about(&PLAN_STRUCTURED, verdict, message));
        }
        let newer = changed
            .as_deref()
            .is_some_and(|c| c > a.created_at.as_str());
        let (verdict, message) = match (s.stale, newer) {
            (true, _) => (Verdict::Warn, l.format("finding.earlier_prompt", &title)),
            (false, true) => (Verdict::Warn, l.format("finding.changed_after", &title)),
            (false, false) => (Verdict::Pass, PLAN_STALE.passed.into()),
        };
        out.push(about(&PLAN_STALE, verdict, message));
    }
}

/// Every generated text of the plan, row by row.
fn texts(plan: &Plan) -> Vec<Text<'_>> {
    let mut out = Vec::new();
    for s in &plan.sections {
        let Some(a) = &s.answer else { continue };
        let section = s.id.as_str();
        let whole = |field, text| Text {
            section,
            item: None,
            field,
            text,
        };
        match &a.structured {
            Some(Structured::Communication(c)) => {
                out.push(whole("summary", &c.summary));
                for (group, row) in &c.rows {
                    let names = [
                        "need_to_know",
                        "when",
                        "frequency",
                        "channel",
                        "delivered_by",
                        "action_wanted",
                        "feedback",
                    ];
                    for (field, text) in names.into_iter().zip(row.cells()) {
                        out.push(Text {
                            section,
                            item: Some(group),
                            field,
                            text,
                        });
                    }
                }
            }
            Some(Structured::Resistance(r)) => {
                out.push(whole("summary", &r.summary));
                for p in &r.points {
                    let item = Some(p.point.as_str());
                    let fields = [
                        ("point", p.point.as_str()),
                        ("underlying_reason", &p.underlying_reason),
                        ("who_acts", &p.who_acts),
                        ("when", &p.when),
                        ("early_warning_sign", &p.early_warning_sign),
                    ];
                    for (field, text) in fields {
                        out.push(Text {
                            section,
                            item,
                            field,
                            text,
                        });
                    }
                    for t in &p.tactics {
                        out.push(Text {
                            section,
                            item,
                            field: "tactics",
                            text: t,
                        });
                    }
                }
            }
            Some(Structured::Metrics(m)) => {
                out.push(whole("summary", &m.summary));
                for x in &m.metrics {
                    let item = Some(x.metric.as_str());
                    let fields = [
                        ("metric", x.metric.as_str()),
                        ("what_it_measures", &x.what_it_measures),
                        ("target", &x.target),
                        ("baseline", &x.baseline),
                        ("how_to_collect", &x.how_to_collect),
                        ("cadence", &x.cadence),
                        ("owner", &x.owner),
                        ("low_scores_indicate", &x.low_scores_indicate),
                    ];
                    for (field, text) in fields {
                        out.push(Text {
                            section,
                            item,
                            field,
                            text,
                        });
                    }
                }
            }
            Some(Structured::Engagement(e)) => {
                out.push(whole("summary", &e.summary));
                for (who, r) in &e.rows {
                    let item = Some(who.as_str());
                    let fields = [
                        ("what_matters", r.what_matters.as_str()),
                        ("engaged_by", &r.engaged_by),
                        ("when", &r.when),
                        ("sign_of_progress", &r.sign_of_progress),
                    ];
                    let actions = r.actions.iter().map(|t| ("actions", t.as_str()));
                    for (field, text) in fields.into_iter().chain(actions) {
                        out.push(Text {
                            section,
                            item,
                            field,
                            text,
                        });
                    }
                }
            }
            Some(Structured::Custom(_)) | None => out.push(whole("answer", &a.text)),
        }
    }
    out
}

/// No point, metric or matrix row the same as another.
fn distinct(plan: &Plan, out: &mut Vec<Finding>) {
    let l = &plan.language;
    let mut check = |section: &str, items: Vec<(&str, String)>| {
        for (i, (name, key)) in items.iter().enumerate() {
            let earlier = items[..i].iter().find(|(_, k)| same(k, key));
            let problem = earlier.map(|(first, _)| {
                if same(first, name) {
                    l.format("finding.twice", &[("name", name)])
                } else {
                    l.format("finding.same_row", &[("name", name), ("first", first)])
                }
            });
            let mut f = finding(&PLAN_DISTINCT, Some(name), problem);
            f.section = section.to_string();
            out.push(f);
        }
    };
    if let Some(r) = plan.resistance() {
        check(
            "resistance",
            r.points
                .iter()
                .map(|p| (p.point.as_str(), p.point.clone()))
                .collect(),
        );
    }
    if let Some(m) = plan.metrics() {
        check(
            "metrics",
            m.metrics
                .iter()
                .map(|x| (x.metric.as_str(), x.metric.clone()))
                .collect(),
        );
    }
    if let Some(c) = plan.communication() {
        let rows = c
            .rows
            .iter()
            .map(|(g, r)| (g.as_str(), r.cells().join("\u{1f}")))
            .collect();
        check("communication", rows);
    }
}

/// Fields that have a check of their own, which says more than "empty".
const OWN_CHECKS: &[&str] = &["delivered_by", "feedback", "who_acts", "owner", "baseline"];

/// Every field of every row filled in, with no placeholder.
fn filled(texts: &[Text], out: &mut Vec<Finding>, l: &Language) {
    let mut rows: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for t in texts.iter().filter(|t| t.item.is_some()) {
        let (section, item) = (t.section, t.item.unwrap_or_default());
        let at = match rows
            .iter()
            .position(|(s, i, _)| *s == section && *i == item)
        {
            Some(at) => at,
            None => {
                rows.push((section, item, Vec::new()));
                rows.len() - 1
            }
        };
        if !OWN_CHECKS.contains(&t.field) && is_placeholder(t.text) {
            rows[at].2.push(t.field);
        }
    }
    for (section, item, empty) in rows {
        let problem = (!empty.is_empty()).then(|| {
            let fields: Vec<&str> = empty.iter().map(|f| field(f, l)).collect();
            l.format("finding.empty", &[("fields", &l.list(&fields))])
        });
        let mut f = finding(&PLAN_FILLED, Some(item), problem);
        f.section = section.to_string();
        out.push(f);
    }
}

/// A field of an answer as the plan's language names it: "need to know".
fn field<'l>(name: &str, l: &'l Language) -> &'l str {
    l.message(&format!("field.{name}"))
        .map_or("", |m| m.form("other"))
}

fn myths(texts: &[Text], out: &mut Vec<Finding>, l: &Language) {
    let before = out.len();
    for t in texts {
        for (words, note) in myths_in(t.text) {
            let args = [("words", words.trim()), ("note", l.t(note))];
            let mut f = finding(&PLAN_MYTHS, t.item, Some(l.format("finding.myth", &args)));
            f.section = t.section.to_string();
            out.push(f);
        }
    }
    if out.len() == before {
        out.push(finding(&PLAN_MYTHS, None, None));
    }
}

fn shown(day: i64, l: &Language) -> String {
    let (y, m, d) = crate::text::civil_from_days(day);
    crate::i18n::long_date(&format!("{y:04}-{m:02}-{d:02}"), l)
}

/// Dates outside the project's time frame, or given for a milestone (or go-live) that has
/// another date: "go-live on 15 March" when the project says 1 March.
fn dates(texts: &[Text], p: &Project, out: &mut Vec<Finding>, l: &Language) {
    /// How far before a date the milestone it belongs to may be named.
    const CLAIM: usize = 40;
    let Some(launch) = p.project.launch_date.and_then(day_of) else {
        return;
    };
    let milestones: Vec<(&str, i64)> = p
        .milestones
        .iter()
        .filter_map(|m| Some((m.name.as_str(), m.date.and_then(day_of)?)))
        .chain(["go-live", "go live", "launch"].map(|w| (w, launch)))
        .collect();
    let earliest = milestones.iter().map(|(_, d)| *d).min().unwrap_or(launch);
    let (from, to) = (earliest - 7 * WEEKS_BEFORE, launch + 7 * WEEKS_AFTER);
    let before = out.len();
    for t in texts {
        let mut problems = Vec::new();
        for (at, d) in dated(t.text) {
            if d < from || d > to {
                let (date, from, to) = (shown(d, l), shown(from, l), shown(to, l));
                let args = [("date", date.as_str()), ("from", &from), ("to", &to)];
                problems.push(l.format("finding.outside", &args));
                continue;
            }
            // The words just before the date, unless a relative time sits between: "6 weeks
            // before go-live, on 12 April" gives 12 April to nothing in particular.
            let start = crate::text::floor_char_boundary(t.text, at.saturating_sub(CLAIM));
            let lead = &t.text[start..at];
            let relative = ["before", "after", "week", "weeks", "day", "days", "ahead"]
                .iter()
                .any(|w| contains_word(lead, w));
            let claimed = milestones
                .iter()
                .find(|(name, _)| !relative && names_milestone(lead, name));
            if let Some((name, date)) = claimed
                && *date != d
            {
                let (given, dated) = (shown(d, l), shown(*date, l));
                let args = [
                    ("date", given.as_str()),
                    ("milestone", name),
                    ("project_date", &dated),
                ];
                problems.push(l.format("finding.milestone_date", &args));
            }
        }
        for problem in problems {
            let mut f = finding(&PLAN_DATES, t.item, Some(problem));
            f.section = t.section.to_string();
            out.push(f);
        }
    }
    if out.len() == before {
        out.push(finding(&PLAN_DATES, None, None));
    }
}

/// The names of the register and the champions, and each surname, as they would appear.
pub fn register_names(p: &Project) -> Vec<String> {
    const TITLES: &[&str] = &["dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame"];
    let people = p
        .stakeholders
        .iter()
        .map(|s| s.name.as_str())
        .chain(p.champions.iter().map(|c| c.name.as_str()));
    let mut names = Vec::new();
    for full in people {
        let parts: Vec<&str> = full
            .split_whitespace()
            .filter(|w| !TITLES.contains(&w.trim_end_matches('.').to_lowercase().as_str()))
            .collect();
        names.push(parts.join(" "));
        if let Some(last) = parts
            .last()
            .filter(|l| parts.len() > 1 && l.chars().count() >= 3)
        {
            names.push(last.to_string());
        }
    }
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    names
}

/// Register names in generated text, when none were sent.
fn names(texts: &[Text], p: &Project, out: &mut Vec<Finding>, l: &Language) {
    let names: Vec<(String, String)> = (register_names(p).into_iter())
        .map(|n| (n.to_lowercase(), n))
        .collect();
    let before = out.len();
    for t in texts {
        let text = t.text.to_lowercase();
        let first = names
            .iter()
            .find(|(lower, _)| contains_word_lowered(&text, lower));
        if let Some((_, first)) = first {
            let args = [("name", first.as_str()), ("field", field(t.field, l))];
            let message = l.format("finding.names", &args);
            let mut f = finding(&PLAN_NAMES, t.item, Some(message));
            f.section = t.section.to_string();
            out.push(f);
        }
    }
    if out.len() == before {
        out.push(finding(&PLAN_NAMES, None, None));
    }
}

/// A champion for every group whose work changes.
fn champions(p: &Project, out: &mut Vec<Finding>, l: &Language) {
    for g in &p.groups {
        if !super::communication::roles_change(&g.name, p) {
            continue;
        }
        let has = p.champions.iter().any(|c| {
            c.group
                .as_deref()
                .is_some_and(|cg| cg.eq_ignore_ascii_case(&g.name))
        });
        let problem = (!has).then(|| l.format("finding.no_champion", &[("group", &g.name)]));
        out.push(finding(&PLAN_CHAMPIONS, Some(&g.name), problem));
    }
}
