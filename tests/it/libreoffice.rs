//! The Word and Excel files opened by another office suite: LibreOffice headless converts
//! them to PDF, and the page count must fall in the range the plan's content calls for (a
//! file LibreOffice cannot read, or reads as an empty page, fails).
//!
//! Needs `soffice` (Debian `libreoffice-writer-nogui`, `libreoffice-calc-nogui`) and
//! `pdfinfo` (`poppler-utils`); scripts/test installs them and sets
//! PLAN_AI_OFFICE_REQUIRED=1, which turns their absence into a failure instead of a skip.

use crate::support::*;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn office_available(test: &str) -> bool {
    if have("soffice") && have("pdfinfo") {
        return true;
    }
    if std::env::var("PLAN_AI_OFFICE_REQUIRED").is_ok_and(|v| v == "1") {
        panic!("PLAN_AI_OFFICE_REQUIRED=1 but soffice or pdfinfo is missing");
    }
    skip(
        test,
        "soffice or pdfinfo missing (scripts/test installs them)",
    );
    false
}

/// `file` converted to PDF by LibreOffice (its own throwaway profile, so runs in parallel do
/// not share one), and the PDF's page count.
fn pages_in_libreoffice(file: &Path) -> u32 {
    let dir = file.parent().unwrap();
    let profile = dir.join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(file)
        .output()
        .expect("soffice");
    let pdf = file.with_extension("pdf");
    assert!(
        out.status.success() && pdf.exists(),
        "LibreOffice could not convert {}: {}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let info = Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in pdfinfo's output: {info}"))
}

/// A sandbox of `example` with every built-in section pasted as structured JSON, the cells
/// holding ordinary sentences, and the plan rendered as Word and Excel.
fn drafted(example: &str) -> Sandbox {
    let sb = Sandbox::new().with_example(example);
    let requests: serde_json::Value =
        serde_json::from_str(&sb.run(&["prompt", "--all", "--json"]).expect(0).stdout()).unwrap();
    for req in requests.as_array().unwrap() {
        let schema = &req["response_format"]["json_schema"]["schema"];
        let answer = dialects::fill_schema(
            schema,
            "a weekly check-in with the regional leads, owned by the change manager",
        );
        let id = req["section"].as_str().unwrap();
        sb.run_stdin(&["paste", id, "-"], &answer.to_string())
            .expect(0);
    }
    sb.run(&["render", "--format", "docx,xlsx"]).expect(0);
    sb
}

#[test]
fn libreoffice_opens_the_word_and_excel_files_with_the_expected_pages() {
    if !office_available("libreoffice_opens_the_word_and_excel_files") {
        return;
    }
    // (example, Word pages, Excel pages): the plan runs to several A4 pages; the workbook
    // prints each of its six sheets on at least one.
    for (example, word, excel) in [
        (CRM_EXAMPLE, 5..=12, 6..=24),
        ("erp-finance.toml", 4..=12, 6..=24),
    ] {
        let sb = drafted(example);
        let pages = pages_in_libreoffice(&sb.file("plan.docx"));
        assert!(
            word.contains(&pages),
            "{example}: plan.docx is {pages} pages"
        );
        let pages = pages_in_libreoffice(&sb.file("plan.xlsx"));
        assert!(
            excel.contains(&pages),
            "{example}: plan.xlsx is {pages} pages"
        );
    }
}
