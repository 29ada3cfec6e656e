//! The web page printed by a browser: headless Chromium prints it to PDF (A4, its print
//! CSS: landscape pages for wide tables, cards for tables of tall records), and no word of
//! 5 to 13 letters comes out split across two lines, for both examples with answers as a
//! capable model writes them. The page count stays at most 19: one page or two for each of
//! the eight parts, the appendix and the review, each part starting on a page of its own.
//!
//! Needs `chromium` and poppler (`poppler-utils`); scripts/test installs them and sets
//! PLAN_AI_OFFICE_REQUIRED=1, which turns their absence into a failure instead of a skip.

use crate::support::pages::*;
use std::path::Path;
use std::process::Command;

/// `html` printed to `pdf` by headless Chromium, as root in a container needs it.
fn print(html: &Path, pdf: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .args(["--disable-sync", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium");
    assert!(
        out.status.success() && pdf.exists(),
        "chromium could not print {}: {}",
        html.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn chromium_prints_the_web_page_without_a_split_word() {
    if !tools_available(
        "chromium_prints_the_web_page",
        &["chromium", "pdfinfo", "pdftotext"],
    ) {
        return;
    }
    for (example, answers) in REALISTIC {
        let sb = realistic(example, answers);
        sb.run(&["render", "--format", "html"]).expect(0);
        let html = sb.read("plan.html");
        let pdf = sb.file("plan.pdf");
        print(&sb.file("plan.html"), &pdf);
        let (split, total) = split_words(&html_text(&html), &pdf_text(&pdf), "");
        assert!(total > 1_000, "{example}: only {total} words checked");
        assert!(
            split.is_empty(),
            "{example}: {} of {total} words split: {split:?}",
            split.len()
        );
        let pages = pages(&pdf);
        assert!(pages <= 19, "{example}: plan.html prints on {pages} pages");
        eprintln!("{example}: plan.html, {pages} pages, 0 of {total} words split");
    }
}
