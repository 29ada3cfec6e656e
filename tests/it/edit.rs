//! `edit` through a scripted `$EDITOR`: a valid edit becomes a version; unchanged, emptied or
//! a failing editor store nothing; an invalid edit is kept in a named file without a terminal,
//! and opens again with the reasons on one (a pseudo-terminal from `script`).

use crate::support::dialects::*;
use crate::support::draft::{ok_reply, sandbox};
use crate::support::*;
use serde_json::Value;

/// A sandbox whose metrics answer is stored (structured, `fake cell` in every string).
fn with_metrics() -> (FakeServer, Sandbox) {
    let server = FakeServer::start(|req, _| answer(Dialect::JsonSchema, req, "fake cell"));
    let sb = structured_sandbox(&server, "");
    sb.run(&["metrics"]).expect(0);
    (server, sb)
}

/// Makes `script` (a shell script) the editor: $EDITOR, with $VISUAL unset.
fn use_editor(sb: &mut Sandbox, script: &str) {
    let path = sb.write("editor.sh", &format!("#!/bin/sh\n{script}\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    sb.set_env("VISUAL", "");
    sb.set_env("EDITOR", path.to_str().unwrap());
}

fn versions(sb: &Sandbox, id: &str) -> usize {
    let out = sb.run(&["history", id, "--json"]).expect(0).stdout();
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

fn edit_files(sb: &Sandbox) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(sb.file(".plan-ai/edit"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_valid_edit_becomes_a_version() {
    let (_server, mut sb) = with_metrics();
    use_editor(
        &mut sb,
        r#"sed -i 's/"summary": "fake cell"/"summary": "Edited \x1b[2Jby hand"/' "$1""#,
    );
    let run = sb.run(&["edit", "metrics"]).expect(0);
    assert_contains(
        &run.stderr(),
        "stored the edit of `metrics` as version 2 (edited)",
        "stderr",
    );
    let record = stored_record(&sb, "metrics");
    assert_eq!(
        record["structured"]["summary"], "Edited by hand",
        "escapes cleaned"
    );
    assert_eq!(record["version"]["how"], "edited");
    assert_contains(
        record["answer"].as_str().unwrap(),
        "Edited by hand",
        "the tables",
    );
    assert!(edit_files(&sb).is_empty(), "{:?}", edit_files(&sb));
    // Prose is edited as Markdown.
    let server = FakeServer::start(|req, _| ok_reply(req));
    let mut sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    use_editor(
        &mut sb,
        r#"sed -i 's/RESISTANCE-ANSWER/EDITED-ANSWER/' "$1""#,
    );
    sb.run(&["edit", "resistance"]).expect(0);
    assert_contains(
        &stored_answer(&sb, "resistance"),
        "EDITED-ANSWER from the fake model",
        "the answer",
    );
    sb.run(&["render", "--force"]).expect(0);
    assert_contains(
        &sb.read("plan.md"),
        "- Version in use: 2 (edited)",
        "the appendix",
    );
}

#[test]
fn unchanged_emptied_or_a_failing_editor_store_nothing() {
    let (_server, mut sb) = with_metrics();
    let before = stored_record(&sb, "metrics");
    let cases = [
        ("true", 0, "no change; nothing stored"),
        (r#": > "$1""#, 0, "the file is empty; nothing stored"),
        ("exit 3", 1, "exited with status 3; nothing stored"),
    ];
    for (script, code, says) in cases {
        use_editor(&mut sb, script);
        let run = sb.run(&["edit", "metrics"]).expect(code);
        assert_contains(&run.stderr(), says, script);
        assert_eq!(versions(&sb, "metrics"), 1, "{script}");
        assert_eq!(stored_record(&sb, "metrics"), before, "{script}");
        assert!(edit_files(&sb).is_empty(), "{script}");
    }
    // No editor at all, and no terminal to fall back to vi on.
    sb.set_env("EDITOR", "");
    let run = sb.run(&["edit", "metrics"]).expect(2);
    assert_contains(&run.stderr(), "set $VISUAL or $EDITOR", "stderr");
    // No answer to edit.
    use_editor(&mut sb, "true");
    let run = sb.run(&["edit", "resistance"]).expect(6);
    assert_contains(
        &run.stderr(),
        "`resistance` has no stored answer yet",
        "stderr",
    );
}

#[test]
fn an_invalid_edit_without_a_terminal_is_kept_in_a_named_file() {
    let (_server, mut sb) = with_metrics();
    use_editor(&mut sb, r#"printf '{"summary": "only this"}' > "$1""#);
    let run = sb.run(&["edit", "metrics"]).expect(3);
    let err = run.stderr();
    assert_contains(
        &err,
        "the edit of `metrics` does not fit its structure:",
        "stderr",
    );
    assert_contains(&err, "  - $: `metrics` is missing\n", "the problem");
    let kept = edit_files(&sb);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let name = kept[0].file_name().unwrap().to_string_lossy();
    let named = format!("the edit is kept in ./.plan-ai/edit/{name}");
    assert_contains(&err, &named, "stderr");
    assert_eq!(
        std::fs::read_to_string(&kept[0]).unwrap(),
        r#"{"summary": "only this"}"#
    );
    assert_eq!(versions(&sb, "metrics"), 1);
}

#[test]
fn an_invalid_edit_on_a_terminal_opens_again_with_the_reasons() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        skip(
            "edit on a terminal",
            "`script` (util-linux) is not installed",
        );
        return;
    }
    let (_server, mut sb) = with_metrics();
    let good = stored_record(&sb, "metrics")["structured"]
        .to_string()
        .replacen("fake cell", "Fixed on the second try", 1);
    sb.write("good.json", &good);
    let dir = sb.path().display().to_string();
    use_editor(
        &mut sb,
        &format!(
            r#"n=$(cat '{dir}/count' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{dir}/count'
if [ "$n" = 1 ]; then printf '{{"summary": "bad"}}' > "$1"; else cp "$1" '{dir}/seen.txt'; cp '{dir}/good.json' "$1"; fi"#
        ),
    );
    // Standard input, output and error on a pseudo-terminal.
    let cmd = sb.command(&["edit", "metrics"]);
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &format!("{BIN} edit metrics"), "/dev/null"]);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let out = script.current_dir(sb.path()).output().expect("script");
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{terminal}");
    assert_eq!(sb.read("count").trim(), "2", "the editor opened twice");
    let seen = sb.read("seen.txt");
    assert!(
        seen.starts_with("#: Editing `metrics`, version 1 (generated)."),
        "{seen}"
    );
    assert_contains(
        &seen,
        "#: This edit does not fit the section's structure:\n#:   - ",
        "the reasons",
    );
    assert!(
        seen.ends_with(
            "#: Fix it and save, or empty the file to store nothing.\n{\"summary\": \"bad\"}"
        ),
        "{seen}"
    );
    let record = stored_record(&sb, "metrics");
    assert_eq!(record["structured"]["summary"], "Fixed on the second try");
    assert_eq!(record["version"]["number"], 2);
}
