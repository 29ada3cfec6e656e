//! A PMO's portfolio, measured on the built binary (release profile):
//!
//! 1. 200 projects (copies of an example, named apart) against a local server with 20 ms
//!    latency that allows 600 requests a minute and answers 429 past that: the run should take
//!    about the time the limit allows (600 requests at 600/min: 60 s), with almost no 429s;
//!    and its peak memory;
//! 2. peak memory for 20 projects and for 1,000 (a fast server, no limit): how it grows;
//! 3. `portfolio status` over 1,000 projects;
//! 4. change load (`portfolio load`) over 1,000 projects × 10 groups × about 60 weeks: the
//!    computation in process, and the whole command with its peak memory next to 20 projects.
//!
//! Run: `cargo bench --bench portfolio` (`PLAN_AI_BENCH=growth,status` runs those items alone;
//! the names are rate, growth, status and load). Prints a
//! table; exits non-zero only if a measurement could not be made, never on a missed target.

#[path = "../tests/it/support/dialects.rs"]
#[allow(dead_code)]
mod dialects;
#[path = "../tests/it/support/fake_server.rs"]
#[allow(dead_code)]
mod fake_server;

use fake_server::{FakeServer, Reply};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_plan-ai");

fn main() {
    println!(
        "plan-ai portfolio benchmark · {} · {} cores\n",
        BIN,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // PLAN_AI_BENCH picks items by name (rate, growth, status, load), comma-separated:
    // `load` takes seconds where the whole run takes minutes.
    let chosen = std::env::var("PLAN_AI_BENCH").unwrap_or_default();
    let run = |item: &str| chosen.is_empty() || chosen.split(',').any(|c| c.trim() == item);
    if run("rate") {
        rate_limited(200);
    }
    if run("growth") {
        memory_growth(20, 1000);
    }
    if run("status") {
        status(1000);
    }
    if run("load") {
        change_load(20, 1000);
    }
}

/// A folder of `n` projects, each the CRM example under its own name.
fn projects(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::create_dir_all(dir.path().join("projects")).unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/crm-manufacturer.toml"),
    )
    .unwrap();
    for i in 0..n {
        let named = text.replacen(
            "name = \"Sales CRM rollout 2027\"",
            &format!("name = \"Sales CRM rollout 2027, site {i:04}\""),
            1,
        );
        std::fs::write(dir.path().join(format!("projects/site-{i:04}.toml")), named).unwrap();
    }
    dir
}

fn configure(dir: &Path, server: &FakeServer) {
    std::fs::write(
        dir.join("config/config.toml"),
        format!(
            "default_profile = \"bench\"\n[profiles.bench]\nbase_url = \"{}\"\nmodel = \"fake-model\"\nstream = false\nretries = 6\n",
            server.base_url()
        ),
    )
    .unwrap();
}

fn plan_ai(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env("PLAN_AI_CONFIG_DIR", dir.join("config"))
        .env("PLAN_AI_KEYRING", "none")
        .env("NO_PROXY", "*");
    for (k, _) in std::env::vars() {
        if k.starts_with("PLAN_AI_") && k != "PLAN_AI_KEYRING"
            || k.to_lowercase().ends_with("_proxy")
        {
            c.env_remove(&k);
        }
    }
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Runs plan-ai under GNU time: wall time, exit code and peak memory (KiB). A failed run
/// prints the end of its stderr, so a number that cannot be trusted says why.
fn timed(dir: &Path, args: &[&str]) -> (Duration, i32, Option<u64>) {
    let report = dir.join("time.out");
    let errors = dir.join("stderr.log");
    let template = plan_ai(dir, args);
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "%M", "-o"]).arg(&report).arg(BIN).args(args);
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.current_dir(dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&errors).expect("stderr log"));
    let t = Instant::now();
    let status = c.status().expect("/usr/bin/time (Debian package `time`)");
    let wall = t.elapsed();
    if !status.success() {
        let text = std::fs::read_to_string(&errors).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        eprintln!(
            "   plan-ai {} failed; the end of its stderr:",
            args.join(" ")
        );
        for line in &lines[lines.len().saturating_sub(12)..] {
            eprintln!("   | {line}");
        }
    }
    let kib = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| s.trim().lines().last()?.trim().parse().ok());
    (wall, status.code().unwrap_or(-1), kib)
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// A server that allows `per_minute` requests in any 60 s and answers 429 past that.
fn limited_server(per_minute: usize, latency_ms: u64) -> (FakeServer, Arc<Mutex<usize>>) {
    let recent = Arc::new(Mutex::new(VecDeque::<Instant>::new()));
    let rejected = Arc::new(Mutex::new(0usize));
    let r = rejected.clone();
    let server = FakeServer::start(move |req, _| {
        let now = Instant::now();
        let mut q = recent.lock().unwrap();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            q.pop_front();
        }
        if q.len() >= per_minute {
            *r.lock().unwrap() += 1;
            let wait = 60.0 - now.duration_since(q[0]).as_secs_f64();
            return Reply::error(429, "Rate limit reached for requests")
                .with_header("retry-after", &format!("{:.3}", wait.max(0.05)));
        }
        q.push_back(now);
        let left = per_minute - q.len();
        drop(q);
        dialects::answer(dialects::Dialect::JsonSchema, req, "a cell")
            .with_header("x-ratelimit-limit-requests", &per_minute.to_string())
            .with_header("x-ratelimit-remaining-requests", &left.to_string())
            .delayed(latency_ms)
    });
    (server, rejected)
}

fn rate_limited(n: usize) {
    let dir = projects(n);
    let (server, rejected) = limited_server(600, 20);
    configure(dir.path(), &server);
    let (wall, code, kib) = timed(
        dir.path(),
        &[
            "portfolio",
            "draft",
            "projects",
            "--rpm",
            "600",
            "--jobs",
            "8",
        ],
    );
    let requests = server.count();
    let rejected = *rejected.lock().unwrap();
    let sections = n * 3;
    let ideal = Duration::from_secs_f64(sections as f64 / 600.0 * 60.0);
    println!(
        "1. {n} projects ({sections} sections), server: 20 ms latency, 600 requests/min, 429 beyond"
    );
    println!(
        "   wall {:.1} s (the limit allows {:.1} s: {:+.1}%), exit {code}",
        wall.as_secs_f64(),
        ideal.as_secs_f64(),
        (wall.as_secs_f64() / ideal.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "   requests {requests}, answered 429: {rejected} ({:.2}%), peak memory {}",
        rejected as f64 * 100.0 / requests.max(1) as f64,
        mib(kib)
    );
    println!(
        "   => {} (targets: within 10% of {:.0} s, at most 1% 429s, under 40 MiB)\n",
        if wall.as_secs_f64() <= ideal.as_secs_f64() * 1.1
            && rejected * 100 <= requests
            && kib.is_some_and(|k| k < 40 * 1024)
        {
            "MET"
        } else {
            "MISSED"
        },
        ideal.as_secs_f64()
    );
}

fn memory_growth(small: usize, large: usize) {
    let mut peaks = Vec::new();
    for n in [small, large] {
        let dir = projects(n);
        let server = FakeServer::start(|req, _| {
            dialects::answer(dialects::Dialect::JsonSchema, req, "a cell")
        });
        configure(dir.path(), &server);
        let (wall, code, kib) = timed(
            dir.path(),
            &["portfolio", "draft", "projects", "--jobs", "8"],
        );
        println!(
            "2. {n} projects, no limit: wall {:.1} s, exit {code}, peak memory {}",
            wall.as_secs_f64(),
            mib(kib)
        );
        peaks.push(kib);
    }
    if let [Some(a), Some(b)] = peaks[..] {
        let growth = (b as f64 - a as f64) / 1024.0;
        println!(
            "   growth from {small} to {large} projects: {growth:.1} MiB => {} (target under 10 MiB)\n",
            if growth < 10.0 { "MET" } else { "MISSED" }
        );
    }
}

fn status(n: usize) {
    let dir = projects(n);
    let server =
        FakeServer::start(|req, _| dialects::answer(dialects::Dialect::JsonSchema, req, "x"));
    configure(dir.path(), &server);
    // Half of them drafted, so the status reads stores as well as empty ones.
    let half: Vec<PathBuf> = (0..n / 2)
        .map(|i| PathBuf::from(format!("projects/site-{i:04}.toml")))
        .collect();
    let mut args = vec!["portfolio".to_string(), "draft".to_string()];
    args.extend(half.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let _ = plan_ai(dir.path(), &args).status();
    let runs = 5;
    let mut walls: Vec<Duration> = (0..runs)
        .map(|_| timed(dir.path(), &["portfolio", "status", "projects", "--json"]).0)
        .collect();
    walls.sort();
    let median = walls[runs / 2];
    println!(
        "3. `portfolio status` over {n} projects ({} drafted): median {:.0} ms of {runs} => {} (target under 1 s)",
        n / 2,
        median.as_secs_f64() * 1000.0,
        if median < Duration::from_secs(1) {
            "MET"
        } else {
            "MISSED"
        }
    );
}

/// A folder of `n` projects with 10 groups each (from a pool of 30 names, so they overlap),
/// go-lives a week apart over 46 weeks: windows of 15 weeks span about 60.
fn load_projects(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("projects")).unwrap();
    let levels = ["high", "medium", "low"];
    for i in 0..n {
        let week = i % 46;
        let (y, m, d) = date_plus(2027, 1, 4, 7 * week as i64);
        let mut text = format!(
            "[project]\nname = \"Rollout {i:04}\"\nlaunch_date = {y:04}-{m:02}-{d:02}\n[[milestones]]\nname = \"pilot\"\ndate = {y:04}-{m:02}-{d:02}\n"
        );
        for g in 0..10 {
            let name = format!("Group {:02}", (i * 7 + g * 3) % 30);
            text += &format!(
                "[[groups]]\nname = \"{name}\"\nimpact = \"{}\"\n",
                levels[(i + g) % 3]
            );
        }
        std::fs::write(dir.path().join(format!("projects/r-{i:04}.toml")), text).unwrap();
    }
    dir
}

/// The date `days` after y-m-d.
fn date_plus(y: i64, m: u32, d: u32, days: i64) -> (i64, u32, u32) {
    plan_ai::text::civil_from_days(plan_ai::text::days_from_civil(y, m, d) + days)
}

fn change_load(small: usize, large: usize) {
    use plan_ai::plan::load::{By, GroupImpact, ProjectLoad, Settings, heatmap};
    use plan_ai::project::Level;
    // In process: the rule alone, on projects already read.
    let loads: Vec<ProjectLoad> = (0..large)
        .map(|i| {
            let launch = plan_ai::text::days_from_civil(2027, 1, 4) + 7 * (i % 46) as i64;
            ProjectLoad {
                name: format!("Rollout {i:04}"),
                launch: Some(launch),
                milestones: vec![launch - 21],
                groups: (0..10)
                    .map(|g| GroupImpact {
                        name: format!("Group {:02}", (i * 7 + g * 3) % 30),
                        impact: [Level::High, Level::Medium, Level::Low][(i + g) % 3],
                        stated: true,
                        from: None,
                        to: None,
                    })
                    .collect(),
            }
        })
        .collect();
    let settings = Settings::default();
    let runs = 20;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(heatmap(&loads, &settings, By::Week, None, None));
            t.elapsed()
        })
        .collect();
    times.sort();
    let map = heatmap(&loads, &settings, By::Week, None, None);
    println!(
        "\n4. change load, {large} projects × 10 groups × {} weeks",
        map.starts.len()
    );
    println!(
        "   the rule in process: median {:.1} ms of {runs}",
        times[runs / 2].as_secs_f64() * 1000.0
    );
    let mut peaks = Vec::new();
    for n in [small, large] {
        let dir = load_projects(n);
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        let walls: Vec<(Duration, i32, Option<u64>)> = (0..5)
            .map(|_| {
                timed(
                    dir.path(),
                    &["portfolio", "load", "projects", "--format", "json"],
                )
            })
            .collect();
        let mut ms: Vec<Duration> = walls.iter().map(|w| w.0).collect();
        ms.sort();
        let kib = walls.iter().filter_map(|w| w.2).max();
        println!(
            "   `plan-ai portfolio load` over {n} projects: median {:.0} ms, exit {}, peak memory {}",
            ms[2].as_secs_f64() * 1000.0,
            walls[0].1,
            mib(kib)
        );
        peaks.push((ms[2], kib));
    }
    if let [(_, Some(a)), (wall, Some(b))] = peaks[..] {
        let growth = (b as f64 - a as f64) / 1024.0;
        println!(
            "   => {} ({:.0} ms for {large}, target under 200 ms; memory +{growth:.1} MiB from {small} to {large})",
            if wall < Duration::from_millis(200) {
                "MET"
            } else {
                "MISSED"
            },
            wall.as_secs_f64() * 1000.0
        );
    }
}
