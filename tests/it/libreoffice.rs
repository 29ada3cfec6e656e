//! The Word and Excel files printed by another office suite: LibreOffice headless converts
//! them to PDF (with Carlito, Calibri's metric twin, as Word users have Calibri), and the
//! pages are read back with poppler. Both examples carry answers as a capable model writes
//! them (tests/it/data/answers: cells of 10 to 40 words, three tactics a point, long names).
//!
//! - No word of 5 to 13 letters of the document comes out split across two lines: every one
//!   occurs as often whole in the PDF's text as in the document.
//! - The plan stays within its pages. It holds about 2,000 words of tables and prose plus the
//!   appendix's three prompts: 3 pages of project data, 3 of resistance blocks, 2 landscape
//!   pages (communication and metrics), 1 of champions and checklists, 2 of appendix, 1 of
//!   review (these answers name people, so the review lists a dozen findings): 12, and each
//!   landscape section may leave one page part empty. At most 13; at least 7 (fewer means
//!   content went missing). The layout this replaced took 13 pages without the review and
//!   split 51 words.
//! - The workbook prints every sheet one page wide at a readable size: its words' median
//!   height is at least 8 points (about 7 pt text; the old print was 4.3, unreadable), on at
//!   least one page a sheet and at most 11 (the five resistance records take two, the review
//!   one or two).
//!
//! Needs `soffice` (Debian `libreoffice-writer-nogui`, `libreoffice-calc-nogui`), poppler's
//! `pdfinfo` and `pdftotext` (`poppler-utils`) and `fonts-crosextra-carlito`; scripts/test
//! installs them and sets PLAN_AI_OFFICE_REQUIRED=1, which turns their absence into a failure.

use crate::support::pages::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `file` converted to PDF by LibreOffice (its own throwaway profile, so runs in parallel do
/// not share one).
fn pdf_by_libreoffice(file: &Path) -> PathBuf {
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
    pdf
}

/// A part of a zip package, as text.
fn part(file: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
    text
}

#[test]
fn libreoffice_prints_the_word_plan_without_a_split_word_and_within_its_pages() {
    if !tools_available(
        "libreoffice_prints_the_word_plan",
        &["soffice", "pdfinfo", "pdftotext", "font:Carlito"],
    ) {
        return;
    }
    for (example, answers) in REALISTIC {
        let sb = realistic(example, answers);
        sb.run(&["render", "--format", "docx"]).expect(0);
        let docx = sb.file("plan.docx");
        let pdf = pdf_by_libreoffice(&docx);
        let document = xml_text(&part(&docx, "word/document.xml"), "w:t");
        let furniture =
            ["word/header1.xml", "word/footer1.xml"].map(|p| xml_text(&part(&docx, p), "w:t"));
        let (split, total) = split_words(&document, &pdf_text(&pdf), &furniture.join(" "));
        assert!(total > 1_000, "{example}: only {total} words checked");
        assert!(
            split.is_empty(),
            "{example}: {} of {total} words split: {split:?}",
            split.len()
        );
        let pages = pages(&pdf);
        assert!(
            (7..=13).contains(&pages),
            "{example}: plan.docx is {pages} pages"
        );
        eprintln!("{example}: plan.docx, {pages} pages, 0 of {total} words split");
    }
}

#[test]
fn libreoffice_prints_each_sheet_one_page_wide_at_a_readable_size() {
    if !tools_available(
        "libreoffice_prints_each_sheet",
        &["soffice", "pdfinfo", "pdftotext", "font:Carlito"],
    ) {
        return;
    }
    for (example, answers) in REALISTIC {
        let sb = realistic(example, answers);
        sb.run(&["render", "--format", "xlsx"]).expect(0);
        let pdf = pdf_by_libreoffice(&sb.file("plan.xlsx"));
        let pages = pages(&pdf);
        assert!(
            (6..=11).contains(&pages),
            "{example}: plan.xlsx prints on {pages} pages"
        );
        let height = word_height(&pdf);
        assert!(
            height >= 8.0,
            "{example}: the words are {height:.1} pt tall"
        );
        let text = pdf_text(&pdf);
        assert!(
            text.contains(&format!("Page {pages} of {pages}")),
            "page numbers"
        );
        assert!(
            text.contains("DRAFT for review"),
            "the draft notice in the footer"
        );
        eprintln!("{example}: plan.xlsx, {pages} pages, words {height:.1} pt tall");
    }
}
