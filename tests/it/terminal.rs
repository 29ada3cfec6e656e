//! What `draft` draws on a real terminal (a pseudo-terminal from `script`): live progress lines,
//! coloured unless NO_COLOR is set.

use crate::support::draft::*;
use crate::support::*;

/// Runs `plan-ai draft` with stderr on a pseudo-terminal and returns what the terminal got.
fn draft_on_a_terminal(sb: &Sandbox, no_color: bool) -> Option<String> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        skip("terminal", "`script` (util-linux) is not installed");
        return None;
    }
    let cmd = sb.command(&["draft", "--fresh"]);
    let mut line = format!("{} draft --fresh", BIN);
    line.push_str(" >/dev/null");
    let mut script = std::process::Command::new("script");
    script.args(["-qfec", &line, "/dev/null"]);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    script.env("TERM", "xterm-256color").current_dir(sb.path());
    if no_color {
        script.env("NO_COLOR", "1");
    } else {
        script.env_remove("NO_COLOR");
    }
    let out = script.output().expect("script");
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn progress_lines_are_coloured_unless_no_color_is_set() {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = sandbox(&server);
    let Some(colour) = draft_on_a_terminal(&sb, false) else {
        return;
    };
    assert_contains(&colour, "done in", "the terminal");
    assert_contains(&colour, "\x1b[32m", "a green `done`");
    let plain = draft_on_a_terminal(&sb, true).unwrap();
    assert_contains(&plain, "done in", "the terminal");
    for sgr in ["\x1b[32m", "\x1b[31m", "\x1b[2m"] {
        assert_lacks(&plain, sgr, "the terminal with NO_COLOR");
    }
}
