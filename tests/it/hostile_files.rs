//! Hostile files, round two: FIFOs where files should be, a symlinked lock, project files whose
//! names would share a store, and escape codes in local data. Each test failed on the code
//! before the fix (see the README's fault table).

use crate::support::*;
use std::path::Path;
use std::time::Duration;

/// Long enough for any of these runs; a FIFO that blocks would hold them forever.
const LIMIT: Duration = Duration::from_secs(20);

fn mkfifo(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let _ = std::fs::remove_file(path);
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.expect("mkfifo (coreutils)").success(), "{path:?}");
}

/// The CRM example with an answer pasted for every section.
fn answered() -> Sandbox {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    for id in ["resistance", "communication", "metrics"] {
        sb.run_stdin(&["paste", id, "-"], &format!("Answer for {id}."))
            .expect(0);
    }
    sb
}

#[cfg(unix)]
#[test]
fn a_fifo_project_template_or_schema_is_refused_at_once() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    mkfifo(&sb.file("fifo.toml"));
    let err = sb
        .run_within(&["check", "-p", "fifo.toml"], LIMIT)
        .expect(3)
        .stderr();
    assert_contains(&err, "fifo.toml is not a regular file", "stderr");

    // In a portfolio folder: skipped like any file that is not a project.
    std::fs::create_dir_all(sb.file("projects")).unwrap();
    std::fs::copy(example(CRM_EXAMPLE), sb.file("projects/crm.toml")).unwrap();
    mkfifo(&sb.file("projects/fifo.toml"));
    let out = sb
        .run_within(&["portfolio", "status", "projects"], LIMIT)
        .expect(0);
    assert_lacks(&out.stderr(), "fifo.toml", "stderr");

    // A template, and a template's schema file.
    mkfifo(&sb.file("prompts/fifo.md"));
    let err = sb
        .run_within(&["prompt", "metrics"], LIMIT)
        .expect(1)
        .stderr();
    assert_contains(&err, "fifo.md: not a regular file", "stderr");
    std::fs::remove_file(sb.file("prompts/fifo.md")).unwrap();
    sb.write(
        "prompts/custom.md",
        "+++\ntitle = \"Custom\"\nschema = \"custom.json\"\n+++\nAsk.\n",
    );
    mkfifo(&sb.file("prompts/custom.json"));
    let err = sb
        .run_within(&["prompt", "custom"], LIMIT)
        .expect(3)
        .stderr();
    assert_contains(&err, "not a regular file", "stderr");
}

#[cfg(unix)]
#[test]
fn fifo_state_files_are_refused_or_ignored_never_waited_on() {
    let files = [
        "drafts.json",
        "formats.json",
        "batch.json",
        "failures.json",
        "sections/metrics.json",
        "lock",
    ];
    for name in files {
        let sb = answered();
        mkfifo(&sb.file(&format!(".plan-ai/{name}")));
        let render = sb.run_within(&["render", "--force"], LIMIT);
        let status = sb.run_within(&["portfolio", "status", "plan-ai.toml"], LIMIT);
        sb.write("answer.md", "again");
        let paste = sb.run_within(&["paste", "metrics", "answer.md"], LIMIT);
        match name {
            "lock" => {
                let err = render.expect(1).stderr();
                assert_contains(&err, "lock is not a regular file", name);
                // Storing a version takes the lock too: refused, not waited on.
                let err = paste.expect(1).stderr();
                assert_contains(&err, "lock is not a regular file", name);
            }
            "sections/metrics.json" => {
                let err = render.stderr();
                assert_contains(&err, "metrics.json: not a regular file", name);
                paste.expect(0);
            }
            "batch.json" => {
                render.expect(0);
                paste.expect(0);
                // Not silently: a draft says its sections are not held back for a batch.
                let err = sb.run_within(&["draft"], LIMIT).stderr();
                assert_contains(&err, "batch.json cannot be read (not a regular file", name);
                assert_contains(&err, "plan-ai batch forget", name);
            }
            _ => {
                render.expect(0);
                paste.expect(0);
            }
        }
        status.expect(0);
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_lock_is_refused_and_nothing_is_created_where_it_points() {
    let sb = answered();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("planted");
    let lock = sb.file(".plan-ai/lock");
    let _ = std::fs::remove_file(&lock);
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let err = sb.run(&["render"]).expect(1).stderr();
    assert_contains(&err, "lock is a symbolic link", "stderr");
    assert!(!target.exists(), "a file was created where the lock points");
}

#[test]
fn deeply_nested_markdown_renders_without_overflowing_the_stack() {
    for answer in [
        format!("{}deep quote", "> ".repeat(100_000)),
        format!("{}deep list", "- ".repeat(20_000)),
        format!("{}deep emphasis{}", "*".repeat(50_000), "*".repeat(50_000)),
    ] {
        let sb = Sandbox::new().with_example(CRM_EXAMPLE);
        for id in ["resistance", "communication"] {
            sb.run_stdin(&["paste", id, "-"], "Fine.").expect(0);
        }
        sb.run_stdin(&["paste", "metrics", "-"], &answer).expect(0);
        for out in ["x.html", "x.docx", "x.md"] {
            let run = sb.run_within(&["render", "-o", out], LIMIT);
            assert_eq!(run.code(), 0, "{out}: {}", run.stderr());
        }
        let html = sb.read("x.html");
        assert_contains(&html, "deep", "x.html");
    }
}

#[cfg(unix)]
#[test]
fn project_files_whose_names_collided_keep_stores_of_their_own() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    std::fs::copy(example(CRM_EXAMPLE), sb.file("...toml")).unwrap();
    for (project, text) in [("plan-ai.toml", "Answer A."), ("...toml", "Answer B.")] {
        sb.run_stdin(&["paste", "metrics", "-", "-p", project], text)
            .expect(0);
    }
    for (project, mine, theirs) in [
        ("plan-ai.toml", "Answer A.", "Answer B."),
        ("...toml", "Answer B.", "Answer A."),
    ] {
        let args = [
            "render",
            "--allow-partial",
            "-p",
            project,
            "-o",
            "x.md",
            "--force",
        ];
        sb.run(&args).expect(6);
        let plan = sb.read("x.md");
        assert_contains(&plan, mine, project);
        assert_lacks(&plan, theirs, project);
    }
    // A name that is not UTF-8 cannot name a store or a plan: refused.
    let odd = sb.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.toml"));
    std::fs::copy(example(CRM_EXAMPLE), &odd).unwrap();
    let mut cmd = sb.command(&["paste", "metrics", "-", "-p"]);
    cmd.arg(&odd);
    let err = run_with_stdin(cmd, "Answer C.").expect(3).stderr();
    assert_contains(&err, "must be valid UTF-8", "stderr");
}

#[test]
fn escape_codes_and_line_breaks_in_local_data_stay_out_of_documents() {
    let sb = answered();
    let project = sb.read("plan-ai.toml").replace(
        "name = \"Sales CRM rollout 2027\"",
        "name = \"Sales\\u001b]0;pwned\\u0007 CRM\\n# injected\"",
    );
    let project = project.replace(
        "name = \"field sales representatives\"",
        "name = \"field\\u001b[2J sales\\r\\nreps\"",
    );
    sb.write("plan-ai.toml", &project);
    sb.write(
        "prompts/evil.md",
        "+++\ntitle = \"Evil\\u001b[31m\\ntitle\"\n+++\nAsk about {{ project.name }}.\n",
    );
    sb.run_stdin(&["paste", "evil", "-"], "Evil answer.")
        .expect(0);
    for id in ["resistance", "communication", "metrics"] {
        sb.run_stdin(&["paste", id, "-"], &format!("Answer for {id}."))
            .expect(0);
    }
    sb.run(&["render", "--format", "md,html", "--force"])
        .expect(0);
    for file in ["plan.md", "plan.html"] {
        let text = sb.read(file);
        assert!(!text.contains(['\x1b', '\x07', '\r']), "{file}: {text:?}");
    }
    let md = sb.read("plan.md");
    assert_contains(
        &md,
        "# Implementation plan: Sales CRM # injected\n",
        "plan.md",
    );
    assert_contains(&md, "Evil title", "plan.md");
    // The line break did not make a heading of its own (in the appendix, the prompt as sent
    // keeps it, inside a code block).
    let html = sb.read("plan.html");
    assert_eq!(html.matches("<h1").count(), 1, "{html}");
}

/// A .docx of `files`: each a name and its bytes.
fn docx(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_reference_header_showing_one_big_picture_forty_times_stays_in_little_memory() {
    let w = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";
    let rels: String = (0..40)
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="x/image" Target="media/logo.png"/>"#))
        .collect();
    let header = format!("<w:hdr {w}><w:p><w:r><w:t>ACME</w:t></w:r></w:p></w:hdr>");
    let picture = vec![0u8; 30 << 20];
    let reference = docx(&[
        ("word/styles.xml", format!("<w:styles {w}></w:styles>").as_bytes()),
        ("word/document.xml", br#"<w:document><w:body><w:sectPr><w:headerReference w:type="default" r:id="h"/></w:sectPr></w:body></w:document>"#),
        ("word/_rels/document.xml.rels", br#"<Relationships><Relationship Id="h" Target="header1.xml"/></Relationships>"#),
        ("word/header1.xml", header.as_bytes()),
        ("word/_rels/header1.xml.rels", format!("<Relationships>{rels}</Relationships>").as_bytes()),
        ("word/media/logo.png", &picture),
    ]);
    drop(picture);
    let sb = answered();
    std::fs::write(sb.file("ref.docx"), reference).unwrap();
    let (code, kib) = peak_kib(
        &sb,
        &["render", "-o", "x.docx", "--reference-doc", "ref.docx"],
    );
    assert_eq!(code, 0);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB");
    assert!(sb.file("x.docx").exists());
}

/// Local data on the terminal: every line goes through the one printer, which strips escape
/// codes whatever their origin (a file name, a template title, a group name).
#[test]
fn escape_codes_in_local_data_never_reach_the_terminal() {
    let sb = Sandbox::new();
    let name = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J.toml";
    let text = std::fs::read_to_string(example(CRM_EXAMPLE))
        .unwrap()
        .replace("name = \"executives\"", "name = \"exec\u{1b}[31mutives\"");
    sb.write(name, &text);
    sb.write(
        "prompts/extra.md",
        "+++\ntitle = \"Extra \u{1b}]52;c;ZXZpbA==\u{7}section\"\n+++\nSay something about {{ project.system }}.\n",
    );
    let runs = [
        sb.run(&["check", "-p", name]),
        sb.run(&["sections", "-p", name]),
        sb.run(&["prompt", "--all", "-p", name]),
        sb.run(&["render", "--allow-partial", "-p", name]),
        sb.run(&["portfolio", "status", "."]),
        sb.run(&["review", "-p", name]),
        sb.run(&["check", "-p", "missing\u{1b}[2J.toml"]),
    ];
    for run in runs {
        for text in [run.stdout(), run.stderr()] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{text:?}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_or_huge_catalog_is_refused_at_once() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    mkfifo(&sb.file("prompts/i18n/de.toml"));
    let err = sb
        .run_within(&["check", "--language", "de"], LIMIT)
        .expect(1)
        .stderr();
    assert_contains(&err, "de.toml: not a regular file", "stderr");
    std::fs::remove_file(sb.file("prompts/i18n/de.toml")).unwrap();
    sb.write("prompts/i18n/de.toml", &"# padding\n".repeat(120_000));
    let err = sb
        .run_within(&["check", "--language", "de"], LIMIT)
        .expect(3)
        .stderr();
    assert_contains(
        &err,
        "a catalog longer than 1 MiB is not a catalog",
        "stderr",
    );
}
