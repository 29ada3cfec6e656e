//! Running the built `plan-ai` binary in an isolated sandbox: its own temp folder, config
//! folder and environment, so tests never read the developer's config, keyring or proxies.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_plan-ai");

/// The repository root, for examples/ and prompts/.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// A temp folder with a config folder and helpers to run plan-ai inside it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        Sandbox {
            dir,
            env: vec![("PLAN_AI_KEYRING".into(), "none".into())],
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.file(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// Copies an example project into the sandbox as `plan-ai.toml`.
    pub fn with_example(self, name: &str) -> Sandbox {
        std::fs::copy(example(name), self.file("plan-ai.toml")).unwrap();
        self
    }

    /// Writes the user config file (config/config.toml).
    pub fn config(&self, toml: &str) {
        self.write("config/config.toml", toml);
    }

    pub fn set_env(&mut self, k: &str, v: &str) {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v.into()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).current_dir(self.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("PLAN_AI_") || k.to_lowercase().ends_with("_proxy") {
                c.env_remove(&k);
            }
        }
        c.env("PLAN_AI_CONFIG_DIR", self.file("config"));
        c.env("NO_PROXY", "*");
        c.env("HOME", self.path());
        c.env("XDG_CONFIG_HOME", self.file("xdg"));
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().expect("run plan-ai"))
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        run_with_stdin(self.command(args), input)
    }

    /// Runs plan-ai and fails the test (killing it) if it has not ended within `limit`: for
    /// what must never block, such as a FIFO where a file should be.
    #[track_caller]
    pub fn run_within(&self, args: &[&str], limit: std::time::Duration) -> Run {
        let out = tempfile::tempfile().unwrap();
        let err = tempfile::tempfile().unwrap();
        let mut child = self
            .command(args)
            .stdout(out.try_clone().unwrap())
            .stderr(err.try_clone().unwrap())
            .spawn()
            .expect("run plan-ai");
        let status = super::process::wait_exit(&mut child, limit);
        let read = |mut f: std::fs::File| {
            use std::io::{Read, Seek};
            let mut bytes = Vec::new();
            f.rewind().unwrap();
            f.read_to_end(&mut bytes).unwrap();
            bytes
        };
        Run(Output {
            status,
            stdout: read(out),
            stderr: read(err),
        })
    }
}

/// Runs `cmd` with `input` on its standard input, capturing both output streams.
pub fn run_with_stdin(mut cmd: Command, input: &str) -> Run {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run plan-ai");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run(child.wait_with_output().unwrap())
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}
