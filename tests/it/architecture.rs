//! The shape of the code, checked: data flows one way through the layers, the engine never
//! prints, only the command layer sees clap, and no file grows past a readable size.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up: each may use only those before it (and itself).
const LAYERS: &[&[&str]] = &[
    &["text", "sanitize", "chat"],
    &["error"],
    &["fs"],
    &["i18n"],
    &["project"],
    &["sections"],
    &["prompts"],
    &["endpoint"],
    &["llm"],
    &["run"],
    &["plan"],
    &["term", "cli"],
    &["app"],
];

/// Modules that do work for the commands and report through values and events, never by
/// printing.
const ENGINE: &[&str] = &[
    "text", "sanitize", "chat", "error", "fs", "i18n", "project", "prompts", "sections",
    "endpoint", "llm", "run", "plan",
];

/// Where the terminal is written: the one printer and its stdout helpers.
const TERMINAL: &str = "term";

const MAX_LINES: usize = 650;

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `src/`, with the top-level module it belongs to.
fn sources() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap();
                let first = rel
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy();
                let module = first.trim_end_matches(".rs").to_string();
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((module, path, text));
            }
        }
    }
    out
}

/// The code of a file without its `#[cfg(test)]` module (tests may print and reach anywhere).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i])
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let mut wrong = Vec::new();
    for (module, path, text) in sources() {
        let Some(own) = rank(&module) else {
            assert!(
                ["main", "lib"].contains(&module.as_str()),
                "{module} is in no layer"
            );
            continue;
        };
        for (i, _) in without_tests(&text).match_indices("crate::") {
            let used: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            match rank(&used) {
                Some(r) if used == module || r < own => {}
                _ => wrong.push(format!("{} uses crate::{used}", path.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "upward or unknown imports:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_engine_never_prints() {
    let mut found = Vec::new();
    for (module, path, text) in sources() {
        if !ENGINE.contains(&module.as_str()) {
            continue;
        }
        for mac in ["println!", "eprintln!", "print!", "eprint!", "dbg!"] {
            if without_tests(&text).contains(mac) {
                found.push(format!("{}: {mac}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "printing outside the terminal layer:\n{}",
        found.join("\n")
    );
}

/// One printer: no print macro anywhere (the command layer and `main` included), and only the
/// terminal layer touches stdout and stderr, through `term::Ui`, which pauses progress lines,
/// adds one prefix per message, cleans escapes and honours `--quiet` and `NO_COLOR`.
#[test]
fn everything_prints_through_the_one_printer() {
    let mut found = Vec::new();
    for (module, path, text) in sources() {
        let code = without_tests(&text);
        for mac in ["println!", "eprintln!", "print!", "eprint!", "dbg!"] {
            if code.contains(mac) {
                found.push(format!("{}: {mac}", path.display()));
            }
        }
        if module != TERMINAL {
            for stream in ["io::stdout()", "io::stderr()"] {
                if code.contains(stream) {
                    found.push(format!("{}: {stream}", path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "printing around term::Ui:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_command_layer_sees_clap() {
    for (module, path, text) in sources() {
        if ["app", "cli", "main"].contains(&module.as_str()) {
            continue;
        }
        let code = without_tests(&text);
        assert!(
            !code.contains("clap::") && !code.contains("clap_") && !code.contains("crate::cli"),
            "{} refers to the command line",
            path.display()
        );
    }
}

#[test]
fn no_file_is_too_long_to_read() {
    let mut long: BTreeMap<String, usize> = BTreeMap::new();
    for (_, path, text) in sources() {
        let n = text.lines().count();
        if n > MAX_LINES {
            long.insert(path.display().to_string(), n);
        }
    }
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {long:?}");
}
