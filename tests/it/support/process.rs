//! Waiting on, and signalling, a plan-ai run spawned in the background.

use super::cli::Sandbox;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Polls until `cond` holds, for at most `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Waits for the child to exit, for at most `limit`; kills it (and panics) otherwise.
pub fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("plan-ai did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGINT (what Ctrl-C sends) to the child.
#[track_caller]
pub fn interrupt(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -INT {}: {sent}", child.id());
}

/// Runs plan-ai to its end under GNU time and returns its exit code and peak memory (max RSS)
/// in KiB. Through `time`, not wait4 from here: a child spawned straight from this (large) test
/// process inherits its memory high-water mark at exec.
pub fn peak_kib(sb: &Sandbox, args: &[&str]) -> (i32, u64) {
    let report = sb.file("time.out");
    let mut cmd = sb.command(args);
    let mut timed = std::process::Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let status = timed
        .current_dir(sb.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("/usr/bin/time (Debian package `time`, installed by scripts/test)");
    let _ = &mut cmd;
    let kib = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| s.trim().lines().last()?.trim().parse().ok())
        .expect("GNU time's report");
    (status.code().unwrap_or(-1), kib)
}
