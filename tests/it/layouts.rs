//! Answers as a capable model writes them (tests/it/data/answers), laid out by what they hold
//! in every format: Word's blocks and landscape tables, the web page's cards and landscape
//! sections, one GFM table a section, a list in a CSV cell as "a; b", Excel's bullets; and the
//! draft notice, the markers and a reference document surviving every layout.

use crate::exports::{GERMAN_LETTER, python};
use crate::support::pages::*;
use crate::support::*;
use std::path::Path;

/// A part of a zip package (a .docx or .xlsx), as text.
fn zip_part(file: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
    text
}

/// The text between `from` and `to` in `text`.
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("no {from}"));
    let end = start
        + text[start..]
            .find(to)
            .unwrap_or_else(|| panic!("no {to} after {from}"));
    &text[start..end]
}

#[test]
fn realistic_answers_are_laid_out_by_what_they_hold_in_every_format() {
    let sb = realistic(CRM_EXAMPLE, "crm");
    sb.run(&["render", "--format", "md,docx,xlsx,html,csv"])
        .expect(0);
    let points = "1. Field representatives see logging every visit on the tablet as administration that steals selling time|2. The North region keeps running its own pipeline workbook alongside Salesforce|3. Top sellers refuse|4. Inside sales coordinators fear|5. Customer service agents see";
    // Word: resistance as a block per point (a heading, a field/value table, the tactics as
    // bullets); the communication matrix and the metrics on landscape pages, as tables.
    let doc = zip_part(&sb.file("plan.docx"), "word/document.xml");
    let resistance = between(&doc, ">5. Resistance planning<", ">6. Communication plan");
    for point in points.split('|') {
        let heading = format!(
            r#"<w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t xml:space="preserve">{point}"#
        );
        assert_contains(resistance, &heading, "a heading per point");
    }
    assert_lacks(resistance, ">Resistance point<", "no 7-column table");
    let bullet = r#"<w:numId w:val="1"/></w:numPr><w:ind w:left="227" w:hanging="227"/>"#;
    assert_eq!(
        resistance.matches(bullet).count(),
        5 * 3 + 2 + 2 + 2,
        "tactics and roles as bullets"
    );
    assert_lacks(resistance, "• ", "bullets, not bullet characters");
    assert_contains(
        &doc[..doc.find(">6. Communication plan").unwrap()],
        "<w:sectPr>",
        "a section break before the matrix",
    );
    let wide = between(&doc, ">6. Communication plan", ">8. Champions");
    for header in [
        ">Audience<",
        ">What they need to know<",
        ">Metric<",
        ">Low scores indicate<",
    ] {
        assert_contains(wide, header, "the tables");
    }
    assert_contains(
        wide,
        r#"<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>"#,
        "landscape",
    );
    // HTML: the points print as cards, the wide parts on landscape pages, lists as <ul>.
    let html = sb.read("plan.html");
    assert_contains(
        between(&html, "5-resistance-planning", "6-communication"),
        "<div class=\"table records\">",
        "cards",
    );
    assert_eq!(
        html.matches("<section class=\"wide\">").count(),
        2,
        "communication and metrics"
    );
    assert_contains(
        &html,
        "<td data-label=\"Tactics before go-live\"><ul><li>Cut the visit form",
        "a list",
    );
    // Markdown: one GFM table a section, list items after bullets.
    let md = sb.read("plan.md");
    let section = between(&md, "## 5. Resistance planning", "## 6.");
    let rules = section.lines().filter(|l| l.starts_with("|---"));
    assert_eq!(rules.count(), 1, "one table: {section}");
    assert_contains(
        section,
        "| • field sales representatives<br>• regional sales managers |",
        "roles",
    );
    // CSV: one line a record, the items joined with "; "; Excel: one item a line.
    let csv = std::fs::read_to_string(sb.file("plan-csv/resistance.csv")).unwrap();
    assert_contains(
        &csv,
        ",field sales representatives; regional sales managers,",
        "roles",
    );
    assert_lacks(&csv, "•", "no bullets in CSV");
    let strings = zip_part(&sb.file("plan.xlsx"), "xl/sharedStrings.xml");
    assert_contains(
        &strings,
        "• field sales representatives\n• regional sales managers",
        "Excel",
    );
}

#[test]
fn markers_notice_and_reference_survive_every_layout() {
    // Metrics unanswered: the resistance blocks and the landscape matrix keep the notice,
    // the markers, and a reference document's page and styles.
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    for section in ["resistance", "communication"] {
        let file = answer_file("crm", section);
        sb.run(&["paste", section, file.to_str().unwrap()])
            .expect(0);
    }
    sb.run(&["render", "-o", "first.docx", "--allow-partial"])
        .expect(6);
    python(GERMAN_LETTER, &sb.file("first.docx"));
    let args = [
        "render",
        "-o",
        "plan.docx",
        "--allow-partial",
        "--reference-doc",
        "first.docx.ref.docx",
    ];
    sb.run(&args).expect(6);
    let docx = sb.file("plan.docx");
    let doc = zip_part(&docx, "word/document.xml");
    assert_contains(&doc, "1. Field representatives see logging", "the blocks");
    assert_contains(
        &doc,
        r#"<w:pgSz w:w="15840" w:h="12240" w:orient="landscape"/>"#,
        "Letter, turned",
    );
    assert_contains(&doc, r#"<w:pgSz w:w="12240" w:h="15840"/>"#, "Letter");
    assert_contains(&doc, ">Missing:<", "the marker");
    assert_contains(
        &doc,
        r#"<w:pStyle w:val="berschrift1"/>"#,
        "the template's style",
    );
    let header = zip_part(&docx, "word/header1.xml");
    assert_contains(
        &header,
        "Incomplete: no answer yet for metrics",
        "the notice",
    );
    for sect in doc.split("<w:sectPr>").skip(1) {
        assert!(
            sect.starts_with(r#"<w:headerReference w:type="default" r:id="rId4"/>"#),
            "{sect}"
        );
    }
}
