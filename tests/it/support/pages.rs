//! What the printed-document tests share: the example projects with answers as a capable
//! model writes them (tests/it/data/answers), the tools that print a document to PDF, and
//! the check that no word of the document comes out split across two lines.

use super::cli::{Sandbox, repo};
use super::{CRM_EXAMPLE, skip};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The two examples and the folder of their realistic answers.
pub const REALISTIC: [(&str, &str); 2] = [(CRM_EXAMPLE, "crm"), ("erp-finance.toml", "erp")];

/// `example` with every built-in section's realistic answer pasted.
pub fn realistic(example: &str, answers: &str) -> Sandbox {
    let sb = Sandbox::new().with_example(example);
    for section in ["resistance", "communication", "metrics"] {
        let file = answer_file(answers, section);
        let file = file.to_str().unwrap();
        sb.run(&["paste", section, file]).expect(0);
    }
    sb
}

pub fn answer_file(answers: &str, section: &str) -> PathBuf {
    repo().join(format!("tests/it/data/answers/{answers}/{section}.json"))
}

/// Whether a program is on the PATH, or (`font:NAME`) a font is installed.
pub fn have(tool: &str) -> bool {
    let check = match tool.strip_prefix("font:") {
        Some(font) => format!("fc-list | grep -c '{font}'"),
        None => format!("command -v {tool}"),
    };
    Command::new("sh")
        .args(["-c", &check])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `tools` are all there; PLAN_AI_OFFICE_REQUIRED=1 (scripts/test sets it) turns
/// their absence into a failure instead of a visible skip.
pub fn tools_available(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&&str> = tools.iter().filter(|t| !have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("PLAN_AI_OFFICE_REQUIRED").is_ok_and(|v| v == "1") {
        panic!("PLAN_AI_OFFICE_REQUIRED=1 but {missing:?} missing (scripts/test installs them)");
    }
    skip(
        test,
        &format!("{missing:?} missing (scripts/test installs them)"),
    );
    false
}

/// The PDF's page count (pdfinfo).
pub fn pages(pdf: &Path) -> u32 {
    let info = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in pdfinfo's output: {info}"))
}

/// The PDF's text as laid out on its pages (pdftotext -layout: a table's columns stay apart,
/// so a word broken inside a cell shows as two pieces on two lines).
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The median height of the PDF's words, in points (pdftotext -bbox): about 1.15 × the size
/// of the text.
pub fn word_height(pdf: &Path) -> f64 {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext -bbox");
    let text = String::from_utf8_lossy(&out.stdout);
    let number = |s: &str, key: &str| -> f64 {
        let v = &s[s.find(key).unwrap() + key.len()..];
        v[..v.find('"').unwrap()].parse().unwrap()
    };
    let mut heights: Vec<f64> = (text.lines())
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| number(l, "yMax=\"") - number(l, "yMin=\""))
        .collect();
    assert!(!heights.is_empty(), "no words in {}", pdf.display());
    heights.sort_by(f64::total_cmp);
    heights[heights.len() / 2]
}

/// Words of 5 to 13 letters in `text`, with how often each occurs.
pub fn words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let pieces = text.split(|c: char| !c.is_alphabetic());
    for w in pieces.filter(|w| (5..=13).contains(&w.chars().count())) {
        *counts.entry(w.to_string()).or_insert(0) += 1;
    }
    counts
}

/// The words of `document` that the PDF's text holds fewer times whole (each such missing
/// occurrence was broken across lines, or lost), leaving out words that also stand in the
/// page furniture (a header or footer repeats them on every page); and how many were checked.
pub fn split_words(document: &str, pdf: &str, furniture: &str) -> (Vec<String>, usize) {
    let printed = words(pdf);
    let furniture = words(furniture);
    let mut split = Vec::new();
    let mut total = 0;
    for (word, n) in words(document) {
        if furniture.contains_key(&word) {
            continue;
        }
        total += n;
        let found = printed.get(&word).copied().unwrap_or(0);
        split.extend((found..n).map(|_| word.clone()));
    }
    split.sort();
    (split, total)
}

/// The text of XML elements named `tag` (`w:t`), with `<w:br/>`, `<w:tab/>` and paragraph
/// ends as spaces; entities decoded.
pub fn xml_text(xml: &str, tag: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    let open = format!("<{tag}");
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let element = &rest[..end];
        rest = &rest[end..];
        let starts = element.starts_with(&open)
            && element[open.len()..].starts_with([' ', '>'])
            && !element.ends_with("/>");
        if starts {
            let close = rest.find('<').unwrap_or(rest.len());
            out += &unescape(&rest[..close]);
            rest = &rest[close..];
        } else if ["<w:br", "<w:tab", "</w:p>", "<w:cr"]
            .iter()
            .any(|t| element.starts_with(t))
        {
            out.push(' ');
        }
    }
    out
}

/// The visible text of a web page's body: no style or title, and not the header rows of the
/// tables that print as cards (`records`: their header shows as each card's field names, the
/// first one hidden as the card's title).
pub fn html_text(html: &str) -> String {
    let body = &html[html.find("<body").unwrap_or(0)..];
    let mut out = String::new();
    let mut rest = body;
    let mut records = false;
    while let Some(i) = rest.find('<') {
        out += &unescape(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        rest = &rest[end..];
        if tag.starts_with("<div class=\"table") {
            records = tag.contains("records");
        }
        if tag.starts_with("<style") || (records && tag.starts_with("<thead")) {
            let close = if tag.starts_with("<style") {
                "</style>"
            } else {
                "</thead>"
            };
            rest = &rest[rest.find(close).unwrap_or(rest.len())..];
        }
        out.push(' ');
    }
    out
}

fn unescape(s: &str) -> String {
    let s = s
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    s.replace("&#39;", "'").replace("&amp;", "&")
}
