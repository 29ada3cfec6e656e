//! The words and patterns the checks look for, in one place. Word lists match whole words,
//! ignoring case (`text::contains_word`); the patterns are regular expressions, each with the
//! note that says where it comes from.

use crate::project::Project;
use crate::text::{contains_any_word, contains_word, days_from_civil, month_number};
use regex_lite::Regex;
use std::sync::LazyLock;

/// Senders people listen to: sponsors, senior leaders, line managers.
pub const LEADERS: &[&str] = &[
    "sponsor",
    "ceo",
    "cfo",
    "coo",
    "cio",
    "cto",
    "cco",
    "chief",
    "director",
    "head",
    "vp",
    "vice president",
    "president",
    "executive",
    "executives",
    "leader",
    "leaders",
    "leadership",
    "manager",
    "managers",
    "supervisor",
    "supervisors",
    "team lead",
    "team leads",
    "board",
    "chair",
    "owner",
    "principal",
    "partner",
    "controller",
];

/// Senders that are the project itself.
pub const PROJECT_TEAM: &[&str] = &[
    "project team",
    "project office",
    "pmo",
    "implementation team",
    "programme team",
    "program team",
    "change team",
    "rollout team",
    "project manager",
    "project lead",
    "change manager",
];

/// Owners that name nobody in particular.
pub const NOBODY: &[&str] = &[
    "the project team",
    "project team",
    "the management",
    "management",
    "senior management",
    "leadership",
    "the business",
    "stakeholders",
    "everyone",
    "all",
    "the team",
    "team",
    "as needed",
    "tbd",
    "n/a",
];

/// Channels where people meet or talk live.
pub const LIVE: &[&str] = &[
    "meeting",
    "meetings",
    "workshop",
    "workshops",
    "huddle",
    "huddles",
    "call",
    "calls",
    "stand-up",
    "stand-ups",
    "standup",
    "standups",
    "town hall",
    "town halls",
    "townhall",
    "in person",
    "in-person",
    "face-to-face",
    "face to face",
    "drop-in",
    "drop-ins",
    "roadshow",
    "webinar",
    "webinars",
    "live session",
    "live sessions",
    "q&a session",
    "briefing",
    "briefings",
    "floor walk",
    "floorwalk",
    "floor walker",
    "floor walkers",
    "site visit",
    "site visits",
    "one-to-one",
    "one-to-ones",
    "1:1",
    "1-to-1",
    "coaching",
    "demo",
    "demos",
    "clinic",
    "clinics",
    "office hours",
    "lunch and learn",
    "session",
    "sessions",
    "review",
    "conference",
];

/// Ways for people to answer back, besides meeting live.
pub const TWO_WAY: &[&str] = &[
    "survey",
    "surveys",
    "pulse",
    "q&a",
    "questions",
    "forum",
    "teams channel",
    "slack",
    "chat",
    "feedback",
    "hotline",
    "helpdesk",
    "help desk",
    "service desk",
    "form",
    "mailbox",
    "suggestion",
    "champion",
    "champions",
    "ask",
    "reply",
    "comments",
    "ticket",
    "tickets",
    "poll",
];

/// Phrases that say nothing a person could do.
pub const STOCK: &[&str] = &[
    "ensure buy-in",
    "get buy-in",
    "gain buy-in",
    "secure buy-in",
    "build buy-in",
    "communicate effectively",
    "effective communication",
    "clear communication",
    "manage expectations",
    "address concerns",
    "engage stakeholders",
    "stakeholder engagement",
    "provide training",
    "offer training",
    "raise awareness",
    "build awareness",
    "foster a culture",
    "ensure alignment",
    "keep everyone informed",
    "keep people informed",
    "regular updates",
    "listen to concerns",
    "be transparent",
    "as needed",
    "where needed",
    "change management best practices",
    "leverage",
];

/// Where a metric's number comes from.
pub const SOURCES: &[&str] = &[
    "report",
    "reports",
    "dashboard",
    "dashboards",
    "survey",
    "surveys",
    "log",
    "logs",
    "audit",
    "audits",
    "export",
    "query",
    "queries",
    "system",
    "database",
    "ticket",
    "tickets",
    "analytics",
    "form",
    "interview",
    "interviews",
    "observation",
    "sample",
    "sampling",
    "spreadsheet",
    "extract",
    "api",
    "telemetry",
    "questionnaire",
    "poll",
    "pulse",
    "assessment",
    "test",
    "quiz",
    "record",
    "records",
    "data",
    "crm",
    "erp",
    "service desk",
    "helpdesk",
    "time study",
    "timesheet",
    "timesheets",
    "count",
    "check",
    "history",
    "timestamps",
    "mailbox",
    "attendance",
    "calendar",
];

/// Counts of access, not of use.
pub const VANITY: &[&str] = &[
    "login",
    "logins",
    "log-in",
    "log-ins",
    "log in",
    "sign-in",
    "sign-ins",
    "signin",
    "licence",
    "licences",
    "license",
    "licenses",
    "seats",
    "training completion",
    "training completions",
    "completed training",
    "courses completed",
    "course completion",
    "training attendance",
    "attended training",
    "e-learning completion",
];

/// A value that stands in for one.
pub fn is_placeholder(text: &str) -> bool {
    let t = text.trim().trim_end_matches('.').to_lowercase();
    const WHOLE: &[&str] = &[
        "",
        "tbd",
        "tbc",
        "tba",
        "n/a",
        "na",
        "-",
        "--",
        "—",
        "...",
        "…",
        "?",
        "none",
        "null",
        "todo",
        "to do",
        "xxx",
        "x",
        "to be defined",
        "to be determined",
        "to be confirmed",
        "placeholder",
        "unknown",
        "not applicable",
    ];
    WHOLE.contains(&t.as_str())
        || t.contains("{{")
        || t.contains("[insert")
        || t.contains("lorem ipsum")
}

/// A time the reader can put in a calendar: a date, a month, a milestone of the project, or a
/// time relative to go-live.
pub fn is_anchored(text: &str, p: &Project) -> bool {
    static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(\b\d+\s*(weeks?|wks?|days?|months?)\b|\b[tw]\s*[-+−]\s*\d+|\b(week|day|month)\s*[-+−]?\s*\d+\b|\bq[1-4]\b)").expect("a valid pattern")
    });
    const EVENTS: &[&str] = &[
        "go-live",
        "go live",
        "golive",
        "launch",
        "cutover",
        "cut-over",
        "kick-off",
        "kickoff",
        "pilot",
        "day one",
        "first week",
        "launch week",
        "go-live week",
        "hypercare",
        "training",
        "uat",
        "freeze",
        "before",
        "after",
    ];
    // Every relative form holds a digit: the pattern runs only where one is.
    let relative = has_digit(text) && RELATIVE.is_match(text);
    if relative || !dates_in(text).is_empty() || has_month(text) {
        return true;
    }
    let milestone = p.milestones.iter().any(|m| names_milestone(text, &m.name));
    // "before"/"after" alone anchor nothing; with an event they do.
    let events = EVENTS.iter().filter(|e| contains_word(text, e)).count();
    let relational = contains_any_word(text, &["before", "after"]);
    milestone || events > usize::from(relational)
}

/// Whether `text` speaks of the milestone `name`: its name, or two of its words (of 4 letters
/// or more) as the start of words in the text ("the sandbox opens for finance" names
/// "sandbox open for the finance team").
pub fn names_milestone(text: &str, name: &str) -> bool {
    if contains_word(text, name) {
        return true;
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    let significant: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            w.chars().count() >= 4
                && !["team", "with", "from", "into", "each"].contains(&w.to_lowercase().as_str())
        })
        .map(str::to_lowercase)
        .collect();
    let found = significant
        .iter()
        .filter(|m| {
            words.iter().any(|w| {
                w.starts_with(m.as_str()) || m.starts_with(w.as_str()) && w.chars().count() >= 4
            })
        })
        .count();
    found >= 2.min(significant.len()) && found > 0
}

fn has_month(text: &str) -> bool {
    text.split(|c: char| !c.is_alphabetic()).any(|w| {
        w.len() >= 3
            && w.chars().next().is_some_and(char::is_uppercase)
            && month_number(w).is_some()
    })
}

/// Absolute dates in `text`, as days since 1970: `2027-03-01`, `1 March 2027`, `March 1, 2027`.
pub fn dates_in(text: &str) -> Vec<i64> {
    dated(text).into_iter().map(|(_, day)| day).collect()
}

/// Absolute dates in `text`, each with where it starts.
pub fn dated(text: &str) -> Vec<(usize, i64)> {
    static ISO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(20\d\d)-(\d\d?)-(\d\d?)\b").expect("a valid pattern"));
    static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Z][a-z]+)\.?,?\s+(20\d\d)\b")
            .expect("a valid pattern")
    });
    static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b([A-Z][a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(20\d\d)\b")
            .expect("a valid pattern")
    });
    // Each form holds a year 20xx; regex-lite has no prefilter of its own, and the review
    // looks at every cell of every plan of a portfolio.
    if !has_year(text) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let day = |y: &str, m: u32, d: &str| -> Option<i64> {
        let (y, d) = (y.parse::<i64>().ok()?, d.parse::<u32>().ok()?);
        ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
    };
    let at = |c: &regex_lite::Captures| c.get(0).map_or(0, |m| m.start());
    for c in ISO.captures_iter(text) {
        let m = c[2].parse().unwrap_or(0);
        out.extend(day(&c[1], m, &c[3]).map(|d| (at(&c), d)));
    }
    for c in DAY_MONTH.captures_iter(text) {
        let d = month_number(&c[2]).and_then(|m| day(&c[3], m, &c[1]));
        out.extend(d.map(|d| (at(&c), d)));
    }
    for c in MONTH_DAY.captures_iter(text) {
        let d = month_number(&c[1]).and_then(|m| day(&c[3], m, &c[2]));
        out.extend(d.map(|d| (at(&c), d)));
    }
    out.sort();
    out
}

fn has_digit(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
}

/// Whether `text` holds "20" and two more digits.
fn has_year(text: &str) -> bool {
    (text.as_bytes().windows(4))
        .any(|w| w[0] == b'2' && w[1] == b'0' && w[2].is_ascii_digit() && w[3].is_ascii_digit())
}

/// A pattern of invented statistics, and the catalog key of where it was debunked or why it
/// cannot be trusted.
pub struct Myth {
    pub pattern: &'static str,
    /// Words one of which every match holds (lowercase): the pattern runs only where one is.
    pub needs: &'static [&'static str],
    pub note: &'static str,
}

const CONSULTANCIES: [&str; 7] = [
    "mckinsey",
    "gartner",
    "prosci",
    "forrester",
    "bcg",
    "boston consulting group",
    "deloitte",
];

/// The myths and unsourced figures AI-written change plans repeat.
pub const MYTHS: &[Myth] = &[
    Myth {
        pattern: r"(?i)\b(\d{2}|seventy|two[- ]thirds)\s*(%|percent|per cent)?\s+of\s+(all\s+)?([a-z-]+\s+){0,3}(change|transformation|digital|it|software|erp|crm)\s+(initiatives|programs|programmes|projects|efforts|implementations|transformations)\s+(fail|are unsuccessful|fall short|do not succeed|don't succeed)",
        needs: &["fail", "unsuccessful", "fall short", "succeed"],
        note: "myth.seventy_percent",
    },
    Myth {
        pattern: r"(?i)\b(studies|research|surveys|data|experts)\s+(show|shows|suggest|suggests|indicate|indicates|found|find|has shown|have shown|reveal|reveals)\b[^.\n]{0,80}?\d+(\.\d+)?\s*(%|percent|per cent|times|x\b)",
        needs: &["studies", "research", "surveys", "data", "experts"],
        note: "myth.studies_show",
    },
    Myth {
        pattern: r"(?i)\b(mckinsey|gartner|prosci|forrester|bcg|boston consulting group|deloitte)\b[^.\n]{0,100}?\d+(\.\d+)?\s*(%|percent|per cent|times)",
        needs: &CONSULTANCIES,
        note: "myth.consultancy",
    },
    Myth {
        pattern: r"(?i)\d+(\.\d+)?\s*(%|percent|per cent)[^.\n]{0,100}?\b(according to|says|per|reports?|found by)\s+(mckinsey|gartner|prosci|forrester|bcg|boston consulting group|deloitte)\b",
        needs: &CONSULTANCIES,
        note: "myth.consultancy",
    },
];

/// The myths found in `text`: the words matched and the note's catalog key.
pub fn myths_in(text: &str) -> Vec<(String, &'static str)> {
    static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        MYTHS
            .iter()
            .map(|m| Regex::new(m.pattern).expect("a valid pattern"))
            .collect()
    });
    let mut out = Vec::new();
    // Every myth cites a figure ("70%", "seventy", "two-thirds"), and names a verdict or a
    // source.
    let lowered = text.to_lowercase();
    if !has_digit(text) && !lowered.contains("seventy") && !lowered.contains("thirds") {
        return out;
    }
    for (re, myth) in COMPILED.iter().zip(MYTHS) {
        if !myth.needs.iter().any(|w| lowered.contains(w)) {
            continue;
        }
        out.extend(
            re.find_iter(text)
                .map(|m| (m.as_str().to_string(), myth.note)),
        );
    }
    out
}

/// Whether two texts say the same, ignoring case, spacing and punctuation.
pub fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for yes in [
            "",
            " TBD ",
            "n/a",
            "{{id}}",
            "To be determined.",
            "…",
            "[Insert owner]",
        ] {
            assert!(is_placeholder(yes), "{yes:?}");
        }
        for no in [
            "Head of Sales",
            "to be measured before go-live",
            "0%",
            "none of them",
        ] {
            assert!(!is_placeholder(no), "{no:?}");
        }
    }

    #[test]
    fn anchors() {
        let mut p = Project::default();
        p.milestones.push(crate::project::Milestone {
            name: "data migration freeze".into(),
            date: None,
        });
        let cases = [
            ("2 weeks before go-live", true),
            ("T-14", true),
            ("week -3", true),
            ("at go-live", true),
            ("launch week", true),
            ("1 March 2027", true),
            ("in March", true),
            ("at the data migration freeze", true),
            ("Q2", true),
            ("as needed", false),
            ("ongoing", false),
            ("before", false),
            ("regularly, when appropriate", false),
            ("may be sent", false),
        ];
        for (text, want) in cases {
            assert_eq!(is_anchored(text, &p), want, "{text:?}");
        }
    }

    #[test]
    fn milestones_are_named_loosely() {
        let m = "sandbox open for the finance team";
        let cases = [
            ("after the sandbox opens for the finance team", true),
            ("when the sandbox opens", true),
            ("when the finance team meets", false),
            ("sandbox open for the finance team", true),
            ("the finance sandbox", true),
            ("the finance meeting", false),
        ];
        for (text, want) in cases {
            assert_eq!(names_milestone(text, m), want, "{text:?}");
        }
        assert!(names_milestone("at go-live", "go-live"));
    }

    #[test]
    fn dates_are_read_in_three_forms() {
        let d = days_from_civil(2027, 3, 1);
        assert_eq!(dates_in("on 2027-03-01."), [d]);
        assert_eq!(dates_in("from 1 March 2027"), [d]);
        assert_eq!(dates_in("by March 1st, 2027"), [d]);
        assert_eq!(dates_in("1 Smarch 2027, 2027-13-40"), Vec::<i64>::new());
    }

    #[test]
    fn myths_are_found_and_ordinary_figures_are_not() {
        let found = [
            "As we know, 70% of change initiatives fail.",
            "Seventy percent of all large IT projects fail",
            "Research shows that adoption rises by 40% with champions.",
            "According to McKinsey, 70% of transformations fall short",
            "Gartner found 85% of ERP projects overrun",
        ];
        for text in found {
            assert!(!myths_in(text).is_empty(), "{text}");
        }
        let clean = [
            "90% of quotes in the CRM 4 weeks after go-live",
            "Prosci's ADKAR model frames each step",
            "70% of reps log visits on the day",
        ];
        for text in clean {
            assert!(myths_in(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn sameness_ignores_case_and_punctuation() {
        assert!(same("Reps keep workbooks.", "reps keep  workbooks"));
        assert!(!same("mediCal", "MediCal rate"));
    }

    /// A myth's words must be in its pattern, or the prefilter would skip what it matches.
    #[test]
    fn each_myths_needed_words_are_in_its_pattern() {
        for m in MYTHS {
            for w in m.needs {
                assert!(m.pattern.contains(w), "{w:?} is not in {}", m.pattern);
            }
        }
    }

    #[test]
    fn the_prefilters_pass_what_the_patterns_find() {
        // Upper case, words for figures, a year only in the last form.
        let found = myths_in("SEVENTY PERCENT OF ALL CHANGE PROGRAMMES FAIL.");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(myths_in("Two-thirds of CRM projects fall short").len(), 1);
        assert_eq!(myths_in("Research shows 3 times the uptake").len(), 1);
        assert!(myths_in("Seventy people attend the town hall").is_empty());
        assert_eq!(dates_in("By March 1st, 2027"), dates_in("2027-03-01"));
        assert!(dates_in("by March 1st").is_empty());
    }
}
