//! Every check the review makes: its stable id, what a failure costs, the section it looks at,
//! why it matters, how to fix it, and where practitioners say so. The README's table of checks
//! is this table.

/// What not passing a check means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Something a sponsor would send back: the plan is wrong or unusable as it stands.
    Fail,
    /// Weaker than it should be: worth fixing before it goes out.
    Warn,
}

impl Severity {
    pub fn verdict(self) -> super::Verdict {
        match self {
            Severity::Fail => super::Verdict::Fail,
            Severity::Warn => super::Verdict::Warn,
        }
    }

    /// How much the check counts in the score.
    pub fn weight(self) -> f64 {
        match self {
            Severity::Fail => 3.0,
            Severity::Warn => 1.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fail => "fail",
            Severity::Warn => "warn",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub severity: Severity,
    /// The section it looks at: `communication`, `resistance`, `metrics`, or `plan`.
    pub section: &'static str,
    /// One line on why it matters.
    pub why: &'static str,
    /// One line on how to fix it.
    pub hint: &'static str,
    /// What a passing finding says.
    pub passed: &'static str,
    /// Where practitioners say so.
    pub source: &'static str,
}

const fn check(
    id: &'static str,
    severity: Severity,
    section: &'static str,
    why: &'static str,
    hint: &'static str,
    passed: &'static str,
    source: &'static str,
) -> Check {
    Check {
        id,
        severity,
        section,
        why,
        hint,
        passed,
        source,
    }
}

use Severity::{Fail, Warn};

pub const COMMS_SENDER: Check = check(
    "comms.sender",
    Fail,
    "communication",
    "people want the reasons for a change from senior leaders and its effect on them from their line manager, not from the project team",
    "name a sponsor, senior leader or line manager as the sender; the project team drafts the message",
    "sent by a sponsor, senior leader or line manager",
    "Prosci communications checklist (sender roles)",
);
pub const COMMS_FEEDBACK: Check = check(
    "comms.feedback",
    Warn,
    "communication",
    "a group with no way to answer back cannot tell you what is not working",
    "give each group a two-way channel (a meeting, a Q&A, a Teams channel) or a named feedback route",
    "has a way back",
    "communications checklists (feedback for each group)",
);
pub const COMMS_TOUCHPOINTS: Check = check(
    "comms.touchpoints",
    Fail,
    "communication",
    "a key message reaches people after 5 to 7 hearings; once is not communication",
    "repeat the message at least 5 times from the first message to 4 weeks after go-live: weekly, at each milestone, in several channels",
    "reached at least 5 times up to 4 weeks after go-live",
    "Prosci, via projectmanagement.com (each key message 5 to 7 times)",
);
pub const COMMS_LIVE: Check = check(
    "comms.live",
    Warn,
    "communication",
    "a large or highly affected group needs at least one face-to-face or live channel, not only e-mail",
    "add a meeting, workshop, huddle, call, stand-up or town hall for this group",
    "has a face-to-face or live channel",
    "Prosci, via projectmanagement.com (face-to-face for highly affected groups)",
);
pub const COMMS_WHEN: Check = check(
    "comms.when",
    Warn,
    "communication",
    "\"as needed\" is never; a message without a date does not get sent",
    "anchor it to a date, a milestone, or weeks before or after go-live",
    "anchored to a date, a milestone or go-live",
    "communication plan templates (every row names a date)",
);
pub const RESISTANCE_ROLES: Check = check(
    "resistance.roles",
    Fail,
    "resistance",
    "a role the plan forgets is people nobody prepares",
    "add or widen a resistance point to cover this role",
    "every role is covered by a resistance point",
    "Cursus, traceability (every impact leads to an action)",
);
pub const RESISTANCE_OWNER: Check = check(
    "resistance.owner",
    Fail,
    "resistance",
    "a tactic owned by \"the project team\" or \"management\" is owned by nobody",
    "name the role that acts: a line manager, the sponsor, a named champion",
    "names who acts",
    "Prosci (managers and sponsors lead resistance management)",
);
pub const RESISTANCE_WHEN: Check = check(
    "resistance.when",
    Warn,
    "resistance",
    "a tactic with no time is not planned",
    "anchor it to a date, a milestone, or weeks before go-live",
    "anchored to a date, a milestone or go-live",
    "resistance plan templates (each action has a date)",
);
pub const RESISTANCE_TACTICS: Check = check(
    "resistance.tactics",
    Warn,
    "resistance",
    "\"ensure buy-in\" and \"communicate effectively\" are wishes, not tactics",
    "say what will be done, by whom, for which people: a demo of the pipeline view for the North reps",
    "concrete tactics",
    "Cursus, traceability (a point leads to an action someone can do)",
);
pub const METRICS_VANITY: Check = check(
    "metrics.vanity",
    Fail,
    "metrics",
    "logins, licences and training completions show access, not adoption",
    "measure use in the work: records kept in the system, reports retired, time to a task",
    "measures use, not logins, licences or training",
    "Prosci (speed, utilisation, proficiency); digital-adoption glossaries on vanity metrics",
);
pub const METRICS_TARGET: Check = check(
    "metrics.target",
    Fail,
    "metrics",
    "\"high adoption\" cannot be missed, so it cannot be met; a target needs a number and a time",
    "give a number and a time: 90% of quotes in the system 4 weeks after go-live",
    "has a number and a time",
    "UK Government Communication Service, OASIS (SMART objectives)",
);
pub const METRICS_BASELINE: Check = check(
    "metrics.baseline",
    Warn,
    "metrics",
    "without a baseline nobody can say the change made a difference",
    "give today's value, or \"to be measured before go-live\" with who measures it",
    "has a baseline",
    "UK Government Communication Service, OASIS (baseline and target)",
);
pub const METRICS_OWNER: Check = check(
    "metrics.owner",
    Fail,
    "metrics",
    "a metric nobody owns is not measured",
    "name the role that collects and reports it",
    "has an owner",
    "adoption measurement practice (each metric has an owner)",
);
pub const METRICS_DIMENSIONS: Check = check(
    "metrics.dimensions",
    Warn,
    "metrics",
    "adoption shows in speed, utilisation and proficiency; one alone misses the others",
    "cover at least two of speed of adoption, utilisation and proficiency",
    "covers at least two of the three dimensions",
    "Prosci (speed of adoption, ultimate utilisation, proficiency)",
);
pub const METRICS_SOURCE: Check = check(
    "metrics.source",
    Warn,
    "metrics",
    "a metric with no data source is a wish",
    "name the system, report, survey or log the number comes from",
    "names a concrete data source",
    "UK Government Communication Service, OASIS (measurable objectives)",
);
pub const PLAN_COMPLETE: Check = check(
    "plan.complete",
    Fail,
    "plan",
    "a plan with a section missing is not a plan yet",
    "generate the section, or paste a chat tool's answer for it",
    "every section has an answer",
    "the article's three prompts",
);
pub const PLAN_STRUCTURED: Check = check(
    "plan.structured",
    Warn,
    "plan",
    "an answer in prose cannot be checked row by row",
    "regenerate it (a larger model fits the structure), or paste it as JSON",
    "the answer is structured, so its rows were checked",
    "plan-ai",
);
pub const PLAN_DISTINCT: Check = check(
    "plan.distinct",
    Fail,
    "plan",
    "the same point or metric twice is one item padded to look like two (small models do this)",
    "replace the repeat with another point or metric",
    "no item repeats another",
    "review practice for AI drafts (tmchange.com.au: AI output needs human review)",
);
pub const PLAN_FILLED: Check = check(
    "plan.filled",
    Fail,
    "plan",
    "an empty cell or a placeholder (TBD, n/a, {{id}}) is work left undone",
    "fill it in, or delete the row if it does not apply",
    "every field is filled in",
    "communication plan templates (every row is complete)",
);
pub const PLAN_MYTHS: Check = check(
    "plan.myths",
    Fail,
    "plan",
    "invented statistics discredit the plan; \"70% of change initiatives fail\" has no empirical basis",
    "delete the figure, or cite your organisation's own data",
    "no invented statistics",
    "Hughes (2011), Journal of Change Management",
);
pub const PLAN_DATES: Check = check(
    "plan.dates",
    Warn,
    "plan",
    "a date outside the project's time frame, or one that contradicts a milestone, misleads the reader",
    "use the project's own dates: the launch date and the milestones",
    "dates fit the project's time frame and milestones",
    "plan-ai (the project file's dates)",
);
pub const PLAN_NAMES: Check = check(
    "plan.names",
    Fail,
    "plan",
    "the register's names were not sent, so a name in the answer is invented, or leaked through the project data",
    "remove the name, or check what the prompt contained",
    "no register names in the generated text",
    "plan-ai privacy rules (person-level data stays local)",
);
pub const PLAN_CHAMPIONS: Check = check(
    "plan.champions",
    Warn,
    "plan",
    "each group whose work changes needs a peer people already ask for help",
    "name a champion for this group under [[champions]] in the project file",
    "has a champion",
    "the article (champions in each group)",
);
pub const PLAN_STALE: Check = check(
    "plan.stale",
    Warn,
    "plan",
    "the project file changed after the answer was written, so it may no longer fit",
    "regenerate the section, or check it still fits and leave it",
    "made from the project file as it is",
    "practitioners' version log (date, section, change, reason)",
);

/// Every check, in the order the review reports them.
pub const CHECKS: &[&Check] = &[
    &COMMS_SENDER,
    &COMMS_FEEDBACK,
    &COMMS_TOUCHPOINTS,
    &COMMS_LIVE,
    &COMMS_WHEN,
    &RESISTANCE_ROLES,
    &RESISTANCE_OWNER,
    &RESISTANCE_WHEN,
    &RESISTANCE_TACTICS,
    &METRICS_VANITY,
    &METRICS_TARGET,
    &METRICS_BASELINE,
    &METRICS_OWNER,
    &METRICS_DIMENSIONS,
    &METRICS_SOURCE,
    &PLAN_COMPLETE,
    &PLAN_STRUCTURED,
    &PLAN_DISTINCT,
    &PLAN_FILLED,
    &PLAN_MYTHS,
    &PLAN_DATES,
    &PLAN_NAMES,
    &PLAN_CHAMPIONS,
    &PLAN_STALE,
];

/// The README's table of checks, as Markdown: id, level, what it checks, source.
pub fn markdown_table() -> String {
    let mut out = String::from("| check | level | why it matters | source |\n|---|---|---|---|\n");
    for c in CHECKS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.id,
            c.severity.as_str(),
            c.why.replace('|', "\\|"),
            c.source
        ));
    }
    out
}
