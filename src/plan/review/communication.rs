//! The communication matrix: who sends each message, whether each group can answer back, how
//! often a group whose work changes hears it, a live channel for large groups, and a time for
//! every message.

use super::checks::{COMMS_FEEDBACK, COMMS_LIVE, COMMS_SENDER, COMMS_TOUCHPOINTS, COMMS_WHEN};
use super::words::{LEADERS, LIVE, PROJECT_TEAM, TWO_WAY, is_anchored, is_placeholder};
use super::{Finding, Verdict, finding, judged};
use crate::i18n::Language;
use crate::plan::Plan;
use crate::project::{Group, Project};
use crate::sections::communication::Row;
use crate::text::{contains_any_word, contains_word, days_from_civil};

/// A group of this size or more needs a live channel.
const LARGE_GROUP: u32 = 20;
/// Hearings a key message needs (Prosci: 5 to 7).
const TOUCHPOINTS: f64 = 5.0;
/// Weeks after go-live that still count.
const WEEKS_AFTER: f64 = 4.0;
/// When the first message's time cannot be read: assume it goes out this many weeks before.
const WEEKS_BEFORE_UNREAD: f64 = 4.0;

pub fn check(plan: &Plan, out: &mut Vec<Finding>) {
    let Some(c) = plan.communication() else {
        return;
    };
    let (p, l) = (&plan.project, &plan.language);
    for (group, row) in &c.rows {
        let item = Some(group.as_str());
        out.push(sender(row, item, l));
        let way_back = concrete(&row.feedback) || two_way(&row.channel);
        let problem = (!way_back)
            .then(|| l.format("finding.no_way_back", &[("feedback", row.feedback.trim())]));
        out.push(finding(&COMMS_FEEDBACK, item, problem));
        if roles_change(group, p) {
            out.push(touchpoints(row, group, p, l));
        }
        let info = p.groups.iter().find(|g| g.name.eq_ignore_ascii_case(group));
        if let Some(size) = info.filter(|g| large(g)).and_then(|g| g.size) {
            let live =
                contains_any_word(&row.channel, LIVE) || contains_any_word(&row.feedback, LIVE);
            let problem = (!live).then(|| {
                let size = l.number(i64::from(size));
                let args = [("size", size.as_str()), ("channel", row.channel.trim())];
                l.format("finding.only_channel", &args)
            });
            out.push(finding(&COMMS_LIVE, item, problem));
        }
        let problem = (!is_anchored(&row.when, p))
            .then(|| l.format("finding.no_time", &[("when", row.when.trim())]));
        out.push(finding(&COMMS_WHEN, item, problem));
    }
}

fn large(g: &Group) -> bool {
    g.size.is_some_and(|n| n >= LARGE_GROUP)
}

/// The project team (or nobody) sending is a fail; a sender the words cannot place is a warn.
fn sender(row: &Row, item: Option<&str>, l: &Language) -> Finding {
    let who = row.delivered_by.trim();
    // Leaders named besides the project team count: "the sponsor, with the project team".
    let mut rest = who.to_lowercase();
    for team in PROJECT_TEAM {
        rest = rest.replace(team, " ");
    }
    let leader = contains_any_word(&rest, LEADERS);
    let team = contains_any_word(who, PROJECT_TEAM);
    let (verdict, message) = match (leader, team || is_placeholder(who)) {
        (true, _) => (Verdict::Pass, COMMS_SENDER.passed.to_string()),
        (false, true) => (
            Verdict::Fail,
            l.format("finding.sent_by_team", &[("who", who)]),
        ),
        (false, false) => (
            Verdict::Warn,
            l.format("finding.sender_unclear", &[("who", who)]),
        ),
    };
    judged(&COMMS_SENDER, item, verdict, message)
}

/// Text that names something, not a placeholder or "none".
fn concrete(text: &str) -> bool {
    !is_placeholder(text) && text.split_whitespace().count() >= 2
}

fn two_way(channel: &str) -> bool {
    contains_any_word(channel, LIVE) || contains_any_word(channel, TWO_WAY)
}

/// Whether the group's own work changes: its name shares a word with a role's, or with the
/// department the system goes into (the project file lists roles and groups apart: "customer
/// service" and "customer service agents" are the same people, and so are "finance team" and
/// the "Group Finance department").
pub fn roles_change(group: &str, p: &Project) -> bool {
    const GENERIC: &[&str] = &[
        "team",
        "teams",
        "staff",
        "the",
        "and",
        "of",
        "all",
        "group",
        "users",
        "department",
        "office",
        "unit",
    ];
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .filter(|w| !GENERIC.contains(&w.as_str()))
            .collect()
    };
    let mine = words(group);
    let department = p.project.department.as_deref().unwrap_or_default();
    p.roles
        .iter()
        .map(|r| r.name.as_str())
        .chain([department])
        .any(|name| words(name).iter().any(|w| mine.contains(w)))
}

/// How often a group hears the message, per week, or as a count; `None`: the words say
/// neither.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cadence {
    per_week: f64,
    count: f64,
}

fn cadence(frequency: &str, p: &Project) -> Option<Cadence> {
    let f = frequency.to_lowercase();
    let has = |w: &str| contains_word(&f, w);
    let mut c = Cadence {
        per_week: 0.0,
        count: 0.0,
    };
    let mut read = false;
    let mut rate = |per_week: f64| {
        c.per_week = c.per_week.max(per_week);
        read = true;
    };
    if has("daily") || has("every day") || has("each day") || has("every morning") {
        rate(5.0);
    }
    if has("twice a week") || has("twice weekly") || has("twice-weekly") {
        rate(2.0);
    }
    if has("weekly") || has("every week") || has("each week") || has("per week") {
        rate(1.0);
    }
    if has("fortnightly")
        || has("biweekly")
        || has("bi-weekly")
        || has("every two weeks")
        || has("every other week")
    {
        rate(0.5);
    }
    if has("monthly") || has("every month") || has("each month") {
        rate(12.0 / 52.0);
    }
    if has("quarterly") {
        rate(4.0 / 52.0);
    }
    let mut count = 0.0;
    if has("once") || has("one-off") || has("one off") || has("single") {
        count += 1.0;
    }
    if has("twice") && !has("twice a week") && !has("twice weekly") {
        count += 2.0;
    }
    if let Some(n) = times(&f) {
        count += n;
    }
    if has("each milestone") || has("every milestone") || has("per milestone") || has("milestones")
    {
        count += p.milestones.len().max(1) as f64;
    }
    c.count = count;
    (read || count > 0.0).then_some(c)
}

/// A count written in digits or words ("6", "six", "a").
fn number(word: &str) -> Option<f64> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    let w = word
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    w.parse::<f64>()
        .ok()
        .or_else(|| WORDS.iter().position(|n| *n == w).map(|i| i as f64))
        .or_else(|| (w == "a" || w == "an").then_some(1.0))
}

/// "3 times", "three times".
fn times(f: &str) -> Option<f64> {
    const WORDS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let words: Vec<&str> = f.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == "times")?;
    let n = words.get(at.checked_sub(1)?)?;
    n.parse::<f64>()
        .ok()
        .or_else(|| WORDS.iter().position(|w| w == n).map(|i| i as f64))
}

/// Weeks before go-live the first message goes out, read from `when`.
fn weeks_before(when: &str, p: &Project) -> Option<f64> {
    let w = when.to_lowercase();
    let launch = p.project.launch_date.and_then(|d| d.date);
    // "6 weeks before", "T-14" (days), "week -3".
    let words: Vec<&str> = w.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if let Some(n) = number(word) {
            let unit = words.get(i + 1).copied().unwrap_or("");
            let before = words[i..].iter().take(4).any(|x| {
                x.starts_with("before") || x.starts_with("prior") || x.starts_with("ahead")
            });
            let weeks = if unit.starts_with("day") {
                n / 7.0
            } else if unit.starts_with("month") {
                n * 4.3
            } else if unit.starts_with("week") || unit.starts_with("wk") {
                n
            } else {
                continue;
            };
            return Some(if before { weeks } else { -weeks });
        }
    }
    if let Some(rest) = w.split("t-").nth(1)
        && let Some(n) = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse::<f64>().ok())
    {
        return Some(n / 7.0);
    }
    if [
        "go-live", "go live", "launch", "day one", "day 1", "cutover",
    ]
    .iter()
    .any(|e| contains_word(&w, e))
    {
        return Some(0.0);
    }
    // A milestone, or a date: how long before go-live it falls.
    let launch_day =
        launch.map(|d| days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)))?;
    let milestone = p.milestones.iter().find(|m| contains_word(when, &m.name));
    let day = milestone
        .and_then(|m| m.date.and_then(|d| d.date))
        .map(|d| days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)))
        .or_else(|| super::words::dates_in(when).first().copied())?;
    Some((launch_day - day) as f64 / 7.0)
}

fn touchpoints(row: &Row, group: &str, p: &Project, l: &Language) -> Finding {
    let item = Some(group);
    let Some(c) = cadence(&row.frequency, p) else {
        let frequency = [("frequency", row.frequency.trim())];
        let message = l.format("finding.frequency_unclear", &frequency);
        return judged(&COMMS_TOUCHPOINTS, item, Verdict::Warn, message);
    };
    let before = weeks_before(&row.when, p)
        .unwrap_or(WEEKS_BEFORE_UNREAD)
        .max(0.0);
    let window = before + WEEKS_AFTER;
    let total = c.per_week * window + c.count;
    let problem = (total < TOUCHPOINTS).then(|| {
        let args = [
            ("frequency", row.frequency.trim()),
            ("when", row.when.trim()),
        ];
        l.plural("finding.heard", total.round() as u64, &args)
    });
    finding(&COMMS_TOUCHPOINTS, item, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        let text = include_str!("../../../examples/crm-manufacturer.toml");
        crate::project::parse(std::path::Path::new("crm.toml"), text)
            .unwrap()
            .project
    }

    fn row(who: &str, when: &str, frequency: &str, channel: &str, feedback: &str) -> Row {
        Row {
            need_to_know: "what changes on Monday".into(),
            when: when.into(),
            frequency: frequency.into(),
            channel: channel.into(),
            delivered_by: who.into(),
            action_wanted: "log visits".into(),
            feedback: feedback.into(),
        }
    }

    #[test]
    fn senders() {
        let cases = [
            ("Chief Commercial Officer", Verdict::Pass),
            ("their regional sales manager", Verdict::Pass),
            ("the sponsor, with the project team", Verdict::Pass),
            ("the project team", Verdict::Fail),
            ("Project manager", Verdict::Fail),
            ("", Verdict::Fail),
            ("Marketing", Verdict::Warn),
        ];
        for (who, want) in cases {
            let f = sender(&row(who, "", "", "", ""), Some("g"), &Language::english());
            assert_eq!(f.verdict, want, "{who:?}: {}", f.message);
        }
    }

    #[test]
    fn touchpoints_are_counted_from_frequency_and_when() {
        let p = project();
        let cases = [
            ("6 weeks before go-live", "weekly", Verdict::Pass),
            ("once, at go-live", "once", Verdict::Fail),
            ("at go-live", "once", Verdict::Fail),
            ("2 weeks before go-live", "fortnightly", Verdict::Fail),
            (
                "at the pilot with the South region",
                "fortnightly",
                Verdict::Pass,
            ),
            (
                "2 weeks before go-live",
                "at each milestone and weekly",
                Verdict::Pass,
            ),
            (
                "launch week",
                "daily in launch week, then weekly",
                Verdict::Pass,
            ),
            ("4 weeks before", "3 times", Verdict::Fail),
            ("4 weeks before", "as things develop", Verdict::Warn),
            (
                "Eight weeks before go-live, then through the pilot",
                "Weekly",
                Verdict::Pass,
            ),
            (
                "Three weeks before go-live",
                "weekly during the first month",
                Verdict::Pass,
            ),
            ("a week before go-live", "twice", Verdict::Fail),
        ];
        for (when, frequency, want) in cases {
            let f = touchpoints(
                &row("CCO", when, frequency, "", ""),
                "reps",
                &p,
                &Language::english(),
            );
            assert_eq!(f.verdict, want, "{when:?} {frequency:?}: {}", f.message);
        }
    }

    #[test]
    fn groups_whose_work_changes() {
        let p = project();
        let cases = [
            ("field sales representatives", true),
            ("customer service", true),
            ("regional sales managers", true),
            ("executives", false),
            ("IT support", false),
        ];
        for (group, want) in cases {
            assert_eq!(roles_change(group, &p), want, "{group}");
        }
    }
}
