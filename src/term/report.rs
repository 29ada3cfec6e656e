//! Text for the end of a run: one answer's summary, the usage table of a batch, and the
//! warning for answers cut off at the token limit.

use crate::chat::{Answer, Usage};
use crate::endpoint::Prices;
use crate::run::StoredSection;
use crate::run::batch::Outcome;
use std::fmt::Write as _;

/// Why a section meant to be structured is kept as prose, and what to do about it.
pub fn unstructured_warning(section: &str, why: &str) -> String {
    format!(
        "{section}: the answer did not fit its structure even when asked again ({}); it is kept as prose and marked unstructured in the plan. A larger model usually fits; --regenerate {section} asks again",
        crate::text::snippet(why, 200)
    )
}

/// One line about an answer: model, tokens, time, attempts, and requests when a structured
/// section needed more than one.
pub fn answer_summary(a: &Answer, requests: u32) -> String {
    let mut s = format!("model: {}", a.model);
    match &a.usage {
        Some(u) => {
            let _ = write!(
                s,
                " · tokens: {} prompt + {} answer = {}",
                u.prompt_tokens, u.completion_tokens, u.total_tokens
            );
        }
        None => s.push_str(" · tokens: not reported by the server"),
    }
    let _ = write!(s, " · {:.1} s", a.elapsed.as_secs_f64());
    if let Some(t) = a.first_token {
        let _ = write!(s, " (first token {:.2} s)", t.as_secs_f64());
    }
    if a.attempts > 1 {
        let _ = write!(s, " · {} attempts", a.attempts);
    }
    if requests > 1 {
        let _ = write!(s, " · {requests} requests");
    }
    s
}

/// The warning for answers cut off at the token limit: the one answer of a section command
/// (no ids), or these sections of a batch (then `--regenerate` is the way to ask again).
pub fn cut_off_warning(sections: &[&str]) -> String {
    let (what, then) = match sections {
        [] => ("the answer was".to_string(), ""),
        [one] => (format!("{one} was"), " and use --regenerate"),
        many => (format!("{} were", many.join(", ")), " and use --regenerate"),
    };
    format!(
        "{what} cut off at the token limit (finish_reason \"length\"); raise max_tokens (--max-tokens, [endpoint] max_tokens in the project, or the profile){then}"
    )
}

/// The sections of a run whose new answers were cut off at the token limit.
pub fn cut_off(outcome: &Outcome) -> Vec<&str> {
    outcome
        .generated
        .iter()
        .filter(|s| s.is_cut_off())
        .map(|s| s.section.as_str())
        .collect()
}

/// Tokens per section (in `order`) and in total, and the cost when prices are known.
pub fn usage_table(outcome: &Outcome, order: &[String], prices: Option<Prices>) -> String {
    let mut rows: Vec<(&StoredSection, &str)> = outcome
        .generated
        .iter()
        .map(|s| (s, "new"))
        .chain(outcome.reused.iter().map(|s| (s, "reused")))
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by_key(|(s, _)| order.iter().position(|id| *id == s.section));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:>8} {:>8} {:>8}",
        "section", "prompt", "answer", "total"
    );
    for (s, how) in &rows {
        match &s.usage {
            Some(u) => {
                let _ = writeln!(
                    out,
                    "{:<16} {:>8} {:>8} {:>8}  {how}",
                    s.section, u.prompt_tokens, u.completion_tokens, u.total_tokens
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{:<16} {:>8} {:>8} {:>8}  {how}, usage not reported",
                    s.section, "-", "-", "-"
                );
            }
        }
    }
    let unreported = rows.iter().filter(|(s, _)| s.usage.is_none()).count();
    if unreported == rows.len() {
        out.push_str(
            "total: the server reported no token usage (llama.cpp servers omit it in streams)\n",
        );
        return out;
    }
    let (new, total): (Usage, Usage) = outcome.usage();
    let _ = writeln!(
        out,
        "{:<16} {:>8} {:>8} {:>8}{}",
        "total",
        total.prompt_tokens,
        total.completion_tokens,
        total.total_tokens,
        if unreported > 0 {
            format!("  ({unreported} section(s) without usage not counted)")
        } else {
            String::new()
        }
    );
    if let Some(p) = prices {
        let _ = writeln!(
            out,
            "cost: {:.4} for this run (new answers), {:.4} for the whole draft",
            p.cost(&new),
            p.cost(&total)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_off_warnings_name_what_was_cut() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&[], "the answer was cut off", false),
            (&["metrics"], "metrics was cut off", true),
            (&["a", "b"], "a, b were cut off", true),
        ];
        for (ids, start, regenerate) in cases {
            let w = cut_off_warning(ids);
            assert!(w.starts_with(start), "{w}");
            assert!(w.contains("raise max_tokens"), "{w}");
            assert_eq!(w.ends_with("and use --regenerate"), *regenerate, "{w}");
        }
    }
}
