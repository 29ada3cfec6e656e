use super::*;
use crate::plan::render::blocks::parse;

const PLAN: &str = "# Implementation plan: X\n\n## 1. Document control\n\n| Field | Value |\n|---|---|\n| Notes | LONG |\n| Emoji | 🚀 שלום עולם |\n| Script | <script>alert(1)</script> |\n| Pipes | \\| pipes \\| |\n| Lines | one<br>two |\n\n### Scope\n\nSome **bold**, *italic*, `code` and [a link](https://example.com/a?b=1&c=2) {notice}.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\nThen:\n\n1. again\n\n- [ ] todo\n- [x] done\n\n> **Missing:** no answer yet\n\n```\ncode line\n```\n";

/// What the parts of PLAN's document hold: a part's name, then texts, ` ¦ ` between.
const WANTED: &str = r#"word/document.xml ¦ <w:pStyle w:val="Title"/> ¦ <w:pStyle w:val="Heading1"/> ¦ <w:pStyle w:val="Heading2"/> ¦ <w:pStyle w:val="Quote"/> ¦ <w:pStyle w:val="Code"/>
word/document.xml ¦ <w:tblW w:w="5000" w:type="pct"/> ¦ <w:trPr><w:cantSplit/><w:tblHeader/></w:trPr> ¦ <w:rPr><w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">Field</w:t>
word/document.xml ¦ >🚀 שלום עולם< ¦ >&lt;script&gt;alert(1)&lt;/script&gt;< ¦ >| pipes |< ¦ >one</w:t></w:r><w:r><w:br/></w:r><w:r><w:t xml:space="preserve">two<
word/document.xml ¦ <w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">bold< ¦ <w:i/><w:iCs/></w:rPr> ¦ <w:rStyle w:val="CodeChar"/> ¦ <w:hyperlink r:id="link1" ¦ <w:rStyle w:val="Hyperlink"/> ¦ > {notice}.<
word/document.xml ¦ <w:ilvl w:val="0"/><w:numId w:val="1"/> ¦ <w:ilvl w:val="1"/><w:numId w:val="1"/> ¦ <w:numId w:val="2"/> ¦ <w:numId w:val="3"/> ¦ >☐< ¦ >☒<
word/document.xml ¦ <w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" ¦ <w:headerReference w:type="default" r:id="rId4"/><w:footerReference w:type="default" r:id="rId5"/>
word/numbering.xml ¦ <w:numFmt w:val="bullet"/> ¦ <w:num w:numId="3"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/>
word/_rels/document.xml.rels ¦ Id="link1" ¦ Target="https://example.com/a?b=1&amp;c=2" TargetMode="External" ¦ Target="header1.xml" ¦ Target="footer1.xml"
word/styles.xml ¦ w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/> ¦ <w:outlineLvl w:val="1"/> ¦ w:styleId="TableGrid"><w:name w:val="Table Grid"/> ¦ w:styleId="ListParagraph"
docProps/core.xml ¦ <dc:title>Implementation plan: X &amp; Y</dc:title> ¦ <dc:subject>Salesforce</dc:subject> ¦ <dc:creator>Jo Bloggs</dc:creator> ¦ >2027-01-02T00:00:00Z</dcterms:created>
word/footer1.xml ¦ w:instr=" PAGE " ¦ w:instr=" NUMPAGES "
word/header1.xml ¦ >DRAFT for review<
[Content_Types].xml ¦ PartName="/word/document.xml" ¦ PartName="/word/numbering.xml" ¦ PartName="/word/footer1.xml"
_rels/.rels ¦ Target="word/document.xml" ¦ Target="docProps/core.xml"
docProps/app.xml ¦ plan-ai
word/settings.xml ¦ compatibilityMode"#;

fn meta() -> DocMeta {
    DocMeta {
        title: "Implementation plan: X & Y".into(),
        subject: "Salesforce".into(),
        author: Some("Jo Bloggs".into()),
        created: "2027-01-02".into(),
        notice: "DRAFT for review".into(),
        marking: None,
        page_of: "Page {page} of {pages}".into(),
        language: None,
    }
}

#[test]
fn page_numbers_follow_the_wording_around_words_fields() {
    let (page, pages) = (PAGE_FIELD, PAGES_FIELD);
    let run = |t: &str| format!(r#"<w:r><w:t xml:space="preserve">{t}</w:t></w:r>"#);
    let cases = [
        (
            "Page {page} of {pages}",
            format!("{}{page}{}{pages}", run("Page "), run(" of ")),
        ),
        (
            "Seite {page} von {pages}",
            format!("{}{page}{}{pages}", run("Seite "), run(" von ")),
        ),
        ("{page}/{pages}", format!("{page}{}{pages}", run("/"))),
        (
            "{pages} pages, this is {page}.",
            format!("{pages}{}{page}{}", run(" pages, this is "), run(".")),
        ),
        (
            "Page <{page}>",
            format!("{}{page}{}", run("Page &lt;"), run("&gt;")),
        ),
    ];
    for (wording, want) in cases {
        assert_eq!(page_numbers(wording), want, "{wording}");
    }
}

#[test]
fn a_german_document_says_so_to_word_and_numbers_its_pages_in_german() {
    let german = DocMeta {
        page_of: "Seite {page} von {pages}".into(),
        language: Some("de".into()),
        ..meta()
    };
    let parts = check(&render(&parse("# Plan"), &german, None).unwrap(), "");
    assert!(parts["word/styles.xml"].contains(r#"<w:lang w:val="de-DE"/>"#));
    assert!(parts["word/footer1.xml"].contains(">Seite </w:t>"));
    assert!(parts["word/footer1.xml"].contains("> von </w:t>"));
    // English keeps its defaults as they were.
    let parts = check(&render(&parse("# Plan"), &meta(), None).unwrap(), "");
    assert!(!parts["word/styles.xml"].contains("<w:lang "));
    assert!(parts["word/footer1.xml"].contains(">Page </w:t>"));
}

/// Reads every part back with the zip crate's reader, checks that it is deflated and its
/// tags pair up, and that the parts hold what `wanted` lists.
fn check(docx: &[u8], wanted: &str) -> HashMap<String, String> {
    let (mut zip, mut parts) = (ZipArchive::new(Cursor::new(docx)).unwrap(), HashMap::new());
    for i in 0..zip.len() {
        let (mut file, mut text, mut open) = (zip.by_index(i).unwrap(), String::new(), vec![]);
        assert_eq!(file.compression(), CompressionMethod::Deflated);
        file.read_to_string(&mut text).unwrap();
        for tag in text.split('<').skip(1).map(|t| &t[..t.find('>').unwrap()]) {
            let name = |t: &str| t.split([' ', '\t', '\n', '/']).next().unwrap().to_string();
            match tag.strip_prefix('/') {
                Some(end) => assert_eq!(open.pop(), Some(name(end)), "{text}"),
                None if !tag.ends_with('/') && !tag.starts_with('?') => open.push(name(tag)),
                None => {}
            }
        }
        assert!(open.is_empty(), "{open:?} left open in {text}");
        parts.insert(file.name().unwrap().to_string(), text);
    }
    for line in wanted.lines() {
        let mut texts = line.split(" ¦ ");
        let part = &parts[texts.next().unwrap()];
        texts.for_each(|t| assert!(part.contains(t), "no {t} in {part}"));
    }
    parts
}

#[test]
fn a_plan_becomes_a_word_package_with_word_structure() {
    let long = "x".repeat(2000);
    let docx = render(&parse(&PLAN.replace("LONG", &long)), &meta(), None).unwrap();
    let parts = check(&docx, WANTED);
    let doc = &parts["word/document.xml"];
    assert!(doc.contains(&long) && !doc.contains("<script>") && !doc.contains("DRAFT"));
    assert!(!parts.contains_key("word/theme/theme1.xml"));
}

#[test]
fn hostile_and_odd_input_is_escaped_or_left_out_never_a_panic() {
    let md = "Bell \u{7}here\u{1b}[31m [x](javascript:alert(1)) [](<https://e.x/ä b?%x%41[>)\n\n| | |\n|---|---|\n| key | value |\n\n-\n";
    let mut meta = meta();
    (meta.created, meta.author) = ("soon".into(), None);
    let wanted = "word/document.xml ¦ Bell here[31m ¦ >x< ¦ https://e.x/ä b ¦ >key<\nword/_rels/document.xml.rels ¦ Target=\"https://e.x/%C3%A4%20b?%25x%41%5B\"";
    let parts = check(&render(&parse(md), &meta, None).unwrap(), wanted);
    let (doc, core) = (&parts["word/document.xml"], &parts["docProps/core.xml"]);
    assert!(!doc.contains('\u{7}') && !doc.contains("tblHeader") && !core.contains("dcterms:"));
    assert!(doc.matches("<w:hyperlink").count() == 1 && !core.contains("creator"));
}

/// A zip of files: each one's name, a space and its text on a line.
fn docx(files: &str) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files.lines().filter_map(|l| l.split_once(' ')) {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const REFERENCE: &str = r#"word/styles.xml <?xml version="1.0"?><w:styles xmlns:w="x"><w:style w:type="paragraph" w:default="1" w:styleId="Standard"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style><w:style w:styleId='Titel' w:type='paragraph'><w:name w:val='Title'/></w:style><w:style w:type="character" w:styleId="Code"><w:name w:val="Other"/></w:style><w:style w:type="table" w:styleId="X"/></w:styles>
word/document.xml <w:document><w:body><w:p/><w:sectPr><w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>
word/theme/theme1.xml <a:theme/>"#;

#[test]
fn a_reference_lends_its_styles_by_name_its_theme_and_its_page() {
    let wanted = r#"word/document.xml ¦ <w:pStyle w:val="berschrift1"/> ¦ <w:pStyle w:val="Titel"/> ¦ <w:pStyle w:val="CodePlanAi"/> ¦ <w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440"
word/styles.xml ¦ w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Standard"/> ¦ w:styleId="CodePlanAi"><w:name w:val="Code"/>
word/_rels/document.xml.rels ¦ Target="theme/theme1.xml"
[Content_Types].xml ¦ PartName="/word/theme/theme1.xml""#;
    let docx = render(&parse(PLAN), &meta(), Some(&docx(REFERENCE))).unwrap();
    let parts = check(&docx, wanted);
    let (doc, styles) = (&parts["word/document.xml"], &parts["word/styles.xml"]);
    assert!(!doc.contains(r#""Heading1""#) && !doc.contains(r#""Title""#));
    assert!(styles.starts_with(r#"<?xml version="1.0"?><w:styles xmlns:w="x"><w:style"#));
    assert_eq!(styles.matches(r#"w:default="1""#).count(), 1);
    assert_eq!(parts["word/theme/theme1.xml"], "<a:theme/>");
}

#[test]
fn a_reference_that_is_no_docx_is_a_data_error_that_says_why() {
    let fails = |bytes: &[u8], why: &str| match render(&[], &meta(), Some(bytes)) {
        Err(Error::Data(m)) => assert!(m.contains(why), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    };
    fails(b"not a zip", "it is not a zip archive");
    fails(
        &docx("word/document.xml <w:document/>"),
        "it has no word/styles.xml",
    );
    let files = "word/document.xml <w:document/>\nword/styles.xml <html/>";
    fails(&docx(files), "holds no Word styles");
}

const WITH_FURNITURE: &str = r#"word/styles.xml <w:styles xmlns:w="x"><w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>
word/document.xml <w:document><w:body><w:p/><w:sectPr><w:headerReference w:type="first" r:id="rIdF"/><w:headerReference w:type="default" r:id="rIdH"/><w:footerReference r:id="rIdB"/></w:sectPr></w:body></w:document>
word/_rels/document.xml.rels <Relationships><Relationship Id="rIdH" Target="header2.xml"/><Relationship Id="rIdF" Target="header9.xml"/><Relationship Id="rIdB" Target="/word/footer3.xml"/></Relationships>
word/header2.xml <w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>ACME Corp</w:t></w:r></w:p></w:hdr>
word/_rels/header2.xml.rels <Relationships><Relationship Id="rId1" Target="media/logo.png"/><Relationship Id="rId2" Target="https://acme.example" TargetMode="External"/></Relationships>
word/media/logo.png PNGDATA
word/footer3.xml <w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>Confidential</w:t></w:r></w:p></w:ftr>"#;

#[test]
fn a_reference_lends_its_default_header_and_footer_with_their_pictures() {
    let wanted = r#"word/header1.xml ¦ >ACME Corp< ¦ >DRAFT for review<
word/footer1.xml ¦ >Confidential<
word/_rels/header1.xml.rels ¦ Target="media/logo.png"
word/media/logo.png ¦ PNGDATA
[Content_Types].xml ¦ <Default Extension="png" ContentType="image/png"/>"#;
    let out = render(&parse(PLAN), &meta(), Some(&docx(WITH_FURNITURE))).unwrap();
    let parts = check(&out, wanted);
    assert!(
        !parts["word/footer1.xml"].contains("PAGE"),
        "theirs, not ours"
    );
    // A picture that is not in the package, or a target that climbs out of it: plan-ai's own.
    for broken in [
        WITH_FURNITURE.replace("word/media/logo.png PNGDATA\n", ""),
        WITH_FURNITURE.replace("media/logo.png", "../../etc/passwd"),
    ] {
        let parts = check(
            &render(&parse(PLAN), &meta(), Some(&docx(&broken))).unwrap(),
            "",
        );
        assert!(!parts["word/header1.xml"].contains("ACME"), "{broken}");
        assert!(!parts.contains_key("word/_rels/header1.xml.rels"));
        assert!(parts["word/footer1.xml"].contains("Confidential"));
    }
}

#[test]
fn a_marking_goes_in_the_footer_and_the_document_properties() {
    let marked = DocMeta {
        marking: Some("Confidential — named stakeholders".into()),
        ..meta()
    };
    let wanted = "word/footer1.xml ¦ >Confidential — named stakeholders< ¦ w:instr=\" PAGE \"
docProps/core.xml ¦ <cp:category>Confidential — named stakeholders</cp:category> ¦ <cp:keywords>Confidential — named stakeholders</cp:keywords>";
    check(&render(&parse(PLAN), &marked, None).unwrap(), wanted);
    // A reference document's own footer gets it too, below its own text.
    let theirs = render(&parse(PLAN), &marked, Some(&docx(WITH_FURNITURE))).unwrap();
    let footer = &check(&theirs, "")["word/footer1.xml"];
    assert!(footer.contains(">Confidential<") && footer.contains("named stakeholders<"));
    let plain = check(&render(&parse(PLAN), &meta(), None).unwrap(), "");
    assert!(!plain["docProps/core.xml"].contains("category"));
    assert!(!plain["word/footer1.xml"].contains("named stakeholders"));
}

#[test]
fn unclosed_styles_are_refused_in_linear_time() {
    // 1 MiB took 17 s and 4 MiB over 120 s with the scan before (quadratic).
    let style = r#"<w:style w:type="paragraph" w:styleId="S"><w:name w:val="n"/>"#;
    for size in [1 << 20, 4 << 20] {
        let styles = format!(
            "<w:styles xmlns:w=\"x\">{}</w:styles>",
            style.repeat(size / style.len())
        );
        let files = format!("word/document.xml <w:document/>\nword/styles.xml {styles}");
        let started = std::time::Instant::now();
        let result = render(&[], &meta(), Some(&docx(&files)));
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        match result {
            Err(Error::Data(m)) => assert!(m.contains("styles.xml is not usable XML"), "{m}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn dtds_and_outside_links_are_not_copied_through() {
    let dtd = r#"<?xml version="1.0"?><!DOCTYPE w:styles [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>"#;
    let reference = WITH_FURNITURE
        .replace("word/styles.xml <w:styles", &format!("word/styles.xml {dtd}<w:styles"))
        .replace("word/header2.xml <w:hdr", &format!("word/header2.xml {dtd}<w:hdr"))
        .replace(
            r#"<Relationship Id="rId2" Target="https://acme.example" TargetMode="External"/>"#,
            r#"<Relationship Id="rId2" Type="x/hyperlink" Target="https://acme.example" TargetMode="External"/><Relationship Id="rId3" Type="x/image" Target="file:///\\attacker\share\a.png" TargetMode="External"/><Relationship Id="rId4" Type="x/image" Target="http://attacker.example/a.png" TargetMode="External"/><Relationship Id="rId5" Type="x/styles" Target="styles.xml"/>"#,
        );
    let wanted = "word/header1.xml ¦ >ACME Corp<\nword/_rels/header1.xml.rels ¦ Target=\"media/logo.png\" ¦ Target=\"https://acme.example\"";
    let parts = check(
        &render(&parse(PLAN), &meta(), Some(&docx(&reference))).unwrap(),
        wanted,
    );
    for (name, text) in &parts {
        for bad in ["DOCTYPE", "ENTITY", "attacker"] {
            assert!(!text.contains(bad), "{bad} in {name}: {text}");
        }
    }
    assert!(parts["word/styles.xml"].contains("w:styleId=\"Heading1\""));
    // A header that shows an outside picture is left out, with what it links.
    let linked = reference.replace(
        "<w:t>ACME Corp</w:t>",
        r#"<w:t>ACME Corp</w:t><a:blip r:link="rId3"/>"#,
    );
    let parts = check(
        &render(&parse(PLAN), &meta(), Some(&docx(&linked))).unwrap(),
        "",
    );
    assert!(!parts["word/header1.xml"].contains("ACME"));
    assert!(!parts.values().any(|t| t.contains("attacker")));
    // A part that uses entities its DTD declared is refused (it cannot be copied without them).
    let used = reference.replace("<w:t>ACME Corp</w:t>", "<w:t>&b;</w:t>");
    let used = used.replace(r#"<w:name w:val="Normal"/>"#, r#"<w:name w:val="&b;"/>"#);
    match render(&parse(PLAN), &meta(), Some(&docx(&used))) {
        Err(Error::Data(m)) => assert!(m.contains("entities declared in a DTD"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn a_picture_used_forty_times_is_copied_once_and_copies_are_bounded() {
    let rels: String = (0..40)
        .map(|i| format!(r#"<Relationship Id="rIdL{i}" Target="media/logo.png"/>"#))
        .collect();
    let reference = WITH_FURNITURE.replace(
        r#"<Relationship Id="rId1" Target="media/logo.png"/>"#,
        &rels,
    );
    let parts = check(
        &render(&parse(PLAN), &meta(), Some(&docx(&reference))).unwrap(),
        "word/media/logo.png ¦ PNGDATA",
    );
    assert!(parts["word/header1.xml"].contains("ACME"));
    // Three pictures of 30 MiB: over the 64 MiB copied parts may add up to.
    let big = "x".repeat(30 << 20);
    let mut reference = WITH_FURNITURE.replace(
        r#"<Relationship Id="rId1" Target="media/logo.png"/>"#,
        r#"<Relationship Id="rId1" Target="media/a.png"/><Relationship Id="rId7" Target="media/b.png"/><Relationship Id="rId8" Target="media/c.png"/>"#,
    );
    for name in ["a", "b", "c"] {
        reference += &format!("\nword/media/{name}.png {big}");
    }
    match render(&parse(PLAN), &meta(), Some(&docx(&reference))) {
        Err(Error::Data(m)) => assert!(m.contains("over 64 MiB together"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// A plan with a table of long records and a wide matrix of shorter cells.
fn laid_out() -> String {
    let sentence = |n: usize| vec!["several ordinary words"; n].join(" and ");
    let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let head = |names: &[&str]| {
        row(names.iter().map(|s| s.to_string()).collect()) + &"|---".repeat(names.len()) + "|\n"
    };
    let mut md = String::from("# Plan\n\n## 5. Resistance\n\nWhere it comes from.\n\n");
    md += &head(&["Point", "Roles", "Reason", "Tactics", "Who", "When", "Sign"]);
    for i in 1..=3 {
        let tactics = format!(
            "• {}<br>• {}<br>• {}",
            sentence(10),
            sentence(10),
            sentence(10)
        );
        let mut cells = vec![
            format!("Point {i}"),
            "• sales<br>• service".into(),
            sentence(12),
        ];
        cells.extend([tactics, sentence(2), "weeks before".into(), sentence(5)]);
        md += &row(cells);
    }
    md += "\n> **Check:** a warning.\n\n## 6. Matrix\n\n";
    // Headers too long for eight columns across a portrait page.
    let wide = "Accountabilities";
    md += &head(&["Audience", wide, wide, wide, wide, wide, wide, wide]);
    for g in ["executives", "managers"] {
        md += &row([g.to_string()]
            .into_iter()
            .chain((0..7).map(|_| sentence(3)))
            .collect());
    }
    md + "\n## 7. After\n\n> **Missing:** no answer yet\n"
}

#[test]
fn tables_are_laid_out_as_blocks_or_on_landscape_pages_with_the_notice_on_each() {
    let parts = check(&render(&parse(&laid_out()), &meta(), None).unwrap(), "");
    let doc = &parts["word/document.xml"];
    // Portrait up to the matrix's heading, landscape for its part, portrait after.
    let sections: Vec<&str> = doc.split("<w:sectPr>").skip(1).collect();
    assert_eq!(sections.len(), 3, "{doc}");
    let page = |s: &str| s[s.find("<w:pgSz").unwrap()..s.find("<w:pgMar").unwrap()].to_string();
    assert_eq!(page(sections[0]), r#"<w:pgSz w:w="11906" w:h="16838"/>"#);
    assert_eq!(
        page(sections[1]),
        r#"<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>"#
    );
    assert_eq!(page(sections[2]), page(sections[0]));
    let refs = r#"<w:headerReference w:type="default" r:id="rId4"/><w:footerReference w:type="default" r:id="rId5"/>"#;
    assert!(
        sections.iter().all(|s| s.starts_with(refs)),
        "the notice and page numbers on every page"
    );
    let landscape = &doc[doc.find("6. Matrix").unwrap()..doc.find("7. After").unwrap()];
    assert!(landscape.contains(">Audience<") && landscape.contains("<w:tblHeader/>"));
    assert!(
        !landscape.contains(r#"<w:pStyle w:val="Heading2"/>"#),
        "a table, not blocks"
    );
    assert!(
        doc.find(r#"w:orient="landscape""#) > doc.find("6. Matrix"),
        "the heading goes along"
    );
    // The records: a numbered heading each, then a field/value table, fields shaded, lists as
    // bullet paragraphs, each block kept on one page.
    let resistance = &doc[..doc.find("6. Matrix").unwrap()];
    for i in 1..=3 {
        let heading = format!(
            r#"<w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t xml:space="preserve">{i}. Point {i}</w:t>"#
        );
        assert!(resistance.contains(&heading), "{i}: {resistance}");
    }
    assert!(
        !resistance.contains(">Point<"),
        "the first column is the heading"
    );
    assert_eq!(resistance.matches(r#"w:fill="F2F4F8""#).count(), 3 * 6);
    let bullet = r#"<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr><w:ind w:left="227" w:hanging="227"/>"#;
    assert_eq!(resistance.matches(bullet).count(), 3 * (2 + 3));
    // Every paragraph of a block but its last row keeps with the next: 13 a block.
    assert_eq!(resistance.matches("<w:keepNext/>").count(), 3 * 13);
    assert!(
        resistance.contains(">sales<") && !resistance.contains("• "),
        "bullets, not text"
    );
    assert!(
        doc.contains("Check:") && doc.contains("Missing:"),
        "the markers stay"
    );
}

#[test]
fn a_reference_documents_page_decides_what_fits() {
    let page = |w: u32, h: u32| {
        let reference = REFERENCE.replace(
            r#"w:w="12240" w:h="15840""#,
            &format!(r#"w:w="{w}" w:h="{h}""#),
        );
        let out = render(&parse(&laid_out()), &meta(), Some(&docx(&reference))).unwrap();
        check(&out, "")["word/document.xml"].clone()
    };
    let matrix = |doc: &str| doc[doc.find("6. Matrix").unwrap()..].to_string();
    // A3 holds the matrix across a portrait page; so does a page already landscape.
    for (w, h) in [(16838, 23811), (16838, 11906)] {
        let doc = page(w, h);
        assert_eq!(
            doc.matches("<w:sectPr>").count(),
            1,
            "{w}×{h}: no landscape section"
        );
        assert!(
            matrix(&doc).contains(">Audience<"),
            "{w}×{h}: the matrix is a table"
        );
    }
    // On A5 not even its landscape holds it: one block per audience.
    let doc = page(8391, 11906);
    assert_eq!(doc.matches("<w:sectPr>").count(), 1);
    assert!(!matrix(&doc).contains(">Audience<") && matrix(&doc).contains(">1. executives<"));
    assert!(
        doc.contains(r#"<w:pStyle w:val="Titel"/>"#),
        "the reference's styles still"
    );
}
