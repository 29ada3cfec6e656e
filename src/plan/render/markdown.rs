//! The plan as Markdown, through the draft template (`prompts/draft.jinja`, overridable).
//! The template's context keeps the names documented at the top of the built-in template.

use super::Part;
use crate::chat::Usage;
use crate::error::{Error, Result};
use crate::plan::{Grid, Plan, PlanSection};
use crate::prompts::DraftTemplate;
use crate::sections::Kind;
use serde::Serialize;

/// A section as the draft template sees it.
#[derive(Serialize)]
struct SectionView<'a> {
    id: &'a str,
    title: &'a str,
    present: bool,
    /// The answer, its headings nested under the section's heading.
    answer: String,
    /// "endpoint", "pasted", or "" when missing.
    source: &'static str,
    model: Option<&'a str>,
    created_at: Option<&'a str>,
    usage: Option<Usage>,
    finish_reason: Option<&'a str>,
    prompt: &'a str,
    settings: &'a str,
    stale: bool,
    /// The answer is a structured one, shown as tables.
    structured: bool,
    /// Why a section meant to be structured holds prose.
    unstructured: Option<&'a str>,
    /// What the reader should double-check.
    warnings: &'a [String],
    /// The version in use (0 when missing), how it was made (in the plan's language), whether
    /// a person made or chose it (anything but a plain generated answer), and the feedback
    /// behind it.
    version: u32,
    how: &'a str,
    by_person: bool,
    feedback: Vec<String>,
}

fn view(s: &PlanSection) -> SectionView<'_> {
    // Built-in answers sit under a `##` section heading, custom ones under `### 9.n`, and
    // the engagement plan under `### Key stakeholder engagement` in §4.
    let nested = !s.built_in || Kind::of(&s.id).is_some_and(Kind::needs_people);
    let level = if nested { 4 } else { 3 };
    let a = s.answer.as_ref();
    SectionView {
        id: &s.id,
        title: &s.title,
        present: a.is_some(),
        answer: a.map(|a| nest_headings(&a.text, level)).unwrap_or_default(),
        source: match a.map(|a| a.source) {
            Some(crate::run::AnswerSource::Endpoint) => "endpoint",
            Some(crate::run::AnswerSource::Pasted) => "pasted",
            None => "",
        },
        model: a.and_then(|a| a.model.as_deref()),
        created_at: a.map(|a| a.created_at.as_str()),
        usage: a.and_then(|a| a.usage),
        finish_reason: a.and_then(|a| a.finish_reason.as_ref().map(|r| r.as_str())),
        prompt: &s.prompt,
        settings: a.map(|a| a.settings.as_str()).unwrap_or_default(),
        stale: s.stale,
        structured: a.is_some_and(|a| a.structured.is_some()),
        unstructured: a.and_then(|a| a.unstructured.as_deref()),
        warnings: a.map(|a| a.warnings.as_slice()).unwrap_or_default(),
        version: a.map_or(0, |a| a.version),
        how: a.map(|a| a.how.as_str()).unwrap_or_default(),
        by_person: a.is_some_and(|a| a.made.by_person()),
        feedback: a
            .map(|a| a.feedback.iter().map(|f| cell(f)).collect())
            .unwrap_or_default(),
    }
}

#[derive(Serialize)]
struct Extra<'a> {
    today: String,
    grid: &'a Grid,
    resistance: Option<SectionView<'a>>,
    communication: Option<SectionView<'a>>,
    metrics: Option<SectionView<'a>>,
    engagement: Option<SectionView<'a>>,
    custom: Vec<SectionView<'a>>,
    all_sections: Vec<SectionView<'a>>,
    models: &'a [String],
    endpoints: &'a [String],
    pasted: usize,
    total_usage: Usage,
    missing: &'a [String],
    review: Option<ReviewView<'a>>,
    other_changes: &'a [crate::plan::load::OtherChanges],
    /// What prompts carried of the people: local, pseudonymised or shared.
    people: &'static str,
    /// In the main part: the confidential annex's file name.
    annex: Option<&'a str>,
    /// In the annex: the plan's file name.
    main: Option<&'a str>,
    /// How the annex is marked.
    marking: &'a str,
}

/// The review as the draft template sees it: the score, what did not pass, and the checks
/// that all passed.
#[derive(Serialize)]
struct ReviewView<'a> {
    score: u8,
    fails: usize,
    warns: usize,
    passes: usize,
    /// What did not pass, in the checks' order.
    findings: Vec<FindingView<'a>>,
    /// The ids of checks with no finding but passes.
    passed: Vec<&'static str>,
}

/// A finding as the plan shows it: its level (the verdict) and hint in the plan's language,
/// `verdict` as the JSON says it (`fail`, `warn`).
#[derive(Serialize)]
struct FindingView<'a> {
    section: String,
    check: &'static str,
    level: &'a str,
    verdict: &'static str,
    item: Option<&'a str>,
    message: &'a str,
    hint: &'a str,
}

fn review_view<'a>(plan: &'a Plan) -> Option<ReviewView<'a>> {
    use crate::plan::review::{Verdict, checks::CHECKS};
    let review = plan.review.as_ref()?;
    let passed = CHECKS
        .iter()
        .filter(|c| {
            let mine = review.findings.iter().filter(|f| f.check.id == c.id);
            let mut any = false;
            let all = mine
                .inspect(|_| any = true)
                .all(|f| f.verdict == Verdict::Pass);
            any && all
        })
        .map(|c| c.id)
        .collect();
    Some(ReviewView {
        score: review.score,
        fails: review.count(Verdict::Fail),
        warns: review.count(Verdict::Warn),
        passes: review.count(Verdict::Pass),
        findings: review
            .problems()
            .map(|f| FindingView {
                section: plan.section_title(&f.section),
                check: f.check.id,
                level: plan.term(f.verdict),
                verdict: f.verdict.as_str(),
                item: f.item.as_deref(),
                message: &f.message,
                hint: plan
                    .language
                    .message(&format!("check.{}.hint", f.check.id))
                    .map_or(f.check.hint, |m| m.form("other")),
            })
            .collect(),
        passed,
    })
}

/// The plan as Markdown through `template`: the draft's outline for the whole plan or its
/// main part, the annex's for the annex (`part` says which, and names the other file).
pub fn render(plan: &Plan, template: &DraftTemplate, part: &Part) -> Result<String> {
    let built_in = |kind: Kind| plan.built_in(kind).map(view);
    let extra = Extra {
        today: crate::i18n::long_date(&plan.today, &plan.language),
        grid: &plan.grid,
        resistance: built_in(Kind::Resistance),
        communication: built_in(Kind::Communication),
        metrics: built_in(Kind::Metrics),
        engagement: built_in(Kind::Engagement),
        custom: plan
            .sections
            .iter()
            .filter(|s| !s.built_in)
            .map(view)
            .collect(),
        all_sections: plan.sections.iter().map(view).collect(),
        models: &plan.provenance.models,
        endpoints: &plan.provenance.endpoints,
        pasted: plan.provenance.pasted,
        total_usage: plan.provenance.total_usage,
        missing: &plan.provenance.missing,
        review: review_view(plan),
        other_changes: &plan.other_changes,
        people: plan.people.as_str(),
        annex: match part {
            Part::Main { annex } => Some(annex),
            _ => None,
        },
        main: match part {
            Part::Annex { main } => Some(main),
            _ => None,
        },
        marking: super::marking(plan),
    };
    let mut ctx = crate::project::template_context(&plan.project, crate::project::Privacy::Shared);
    if let (Some(obj), Ok(serde_json::Value::Object(more))) =
        (ctx.as_object_mut(), serde_json::to_value(&extra))
    {
        obj.extend(more);
    }
    let mut env = crate::prompts::environment_in(&plan.language);
    env.add_filter("cell", |s: String| cell(&s));
    let err =
        |e: minijinja::Error| Error::Data(format!("draft template ({}): {e:#}", template.source));
    env.add_template_owned("draft", template.text.clone())
        .map_err(err)?;
    let markdown = env
        .get_template("draft")
        .map_err(err)?
        .render(minijinja::value::Serde(&ctx))
        .map_err(err)?;
    Ok(crate::text::collapse_blank_lines(&markdown) + "\n")
}

/// Text made safe for one GFM table cell: pipes escaped, line breaks flattened.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Shifts ATX headings so the answer's top level becomes `level`, keeping their relative
/// depth and leaving code blocks alone.
pub fn nest_headings(md: &str, level: usize) -> String {
    let mut in_code = false;
    let mut top = usize::MAX;
    for line in md.lines() {
        if is_fence(line) {
            in_code = !in_code;
        } else if !in_code && let Some(l) = heading_level(line) {
            top = top.min(l);
        }
    }
    if top == usize::MAX {
        return md.to_string();
    }
    let mut out = String::with_capacity(md.len() + 64);
    in_code = false;
    for line in md.lines() {
        if is_fence(line) {
            in_code = !in_code;
        }
        match (!in_code).then(|| heading_level(line)).flatten() {
            Some(l) => {
                out.push_str(&"#".repeat((l + level - top).min(6)));
                out.push_str(&line[l..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// The level of an ATX heading line (`## Title` → 2), if it is one.
fn heading_level(line: &str) -> Option<usize> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    ((1..=6).contains(&hashes) && (line.len() == hashes || line[hashes..].starts_with(' ')))
        .then_some(hashes)
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_nest_under_the_section() {
        let cases = [
            ("# A\ntext\n## B", 3, "### A\ntext\n#### B"),
            ("## A\n### B", 3, "### A\n#### B"),
            ("#### Deep\n# Top", 4, "###### Deep\n#### Top"),
            ("no headings at all", 3, "no headings at all"),
            (
                "#hashtag is not a heading\n# H",
                3,
                "#hashtag is not a heading\n### H",
            ),
            (
                "```\n# code comment\n```\n# H",
                3,
                "```\n# code comment\n```\n### H",
            ),
            ("~~~\n# x\n~~~", 3, "~~~\n# x\n~~~"),
            ("#\n# T", 2, "##\n## T"),
        ];
        for (input, level, want) in cases {
            assert_eq!(nest_headings(input, level), want, "{input:?}");
        }
    }

    #[test]
    fn cells_stay_in_one_cell() {
        assert_eq!(cell("a | b\nc\r\nd"), "a \\| b c  d");
    }
}
