//! plan-ai's speed, measured end to end on the built binary (release profile):
//!
//! 1. cold start of `plan-ai prompt --all`, next to `true`;
//! 2. client overhead of one structured section against a plain-http server with a fixed
//!    latency, next to curl sending plan-ai's exact request body;
//! 3. time to first streamed token, next to curl's time to the server's first byte;
//! 4. `draft` wall time for 3 structured sections against a server with 1 s latency, and its
//!    peak memory;
//! 5. checking a structured answer against its schema and rendering it, per section;
//! 6. rendering the drafted plan, and both examples with realistic answers, to each format
//!    (Markdown, Word, Excel, HTML, CSV); `PLAN_AI_BENCH=render` runs this one alone.
//!
//! Run: `cargo bench --bench bench` (see README, "Performance"). Prints a table; exits non-zero
//! only if a measurement could not be made, never on a missed target (machines differ).

#[path = "../tests/it/support/dialects.rs"]
#[allow(dead_code)]
mod dialects;
#[path = "../tests/it/support/fake_server.rs"]
#[allow(dead_code)]
mod fake_server;

use fake_server::{FakeServer, Reply, delta, done, finish, role_chunk};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_plan-ai");

fn main() {
    let work = tempfile::tempdir().expect("temp dir");
    let project = work.path().join("plan-ai.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/crm-manufacturer.toml"),
        &project,
    )
    .unwrap();
    std::fs::create_dir_all(work.path().join("config")).unwrap();
    println!(
        "plan-ai benchmark · {} · {} cores\n",
        BIN,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // PLAN_AI_BENCH=render measures the renderers alone (on the examples' realistic answers).
    if std::env::var("PLAN_AI_BENCH").is_ok_and(|v| v == "render") {
        let realistic = tempfile::tempdir().expect("temp dir");
        return render(realistic.path(), false);
    }
    startup(work.path());
    overhead(work.path(), 300);
    first_token(work.path(), 300);
    draft(work.path());
    structured();
    render(work.path(), true);
}

/// In process, on the library: the plan `draft` left in `dir`, and each example with answers
/// as a capable model writes them (tests/it/data/answers), rendered to every format.
fn render(dir: &Path, drafted: bool) {
    println!(
        "\n6. a plan rendered to each format (in process)                   target < 50 ms all"
    );
    if drafted {
        render_plan("drafted CRM plan (the fake model's answers)", dir);
    }
    for (example, answers) in [
        ("crm-manufacturer.toml", "crm"),
        ("erp-finance.toml", "erp"),
    ] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let project = dir.join(answers);
        std::fs::create_dir_all(project.join("config")).unwrap();
        std::fs::copy(
            root.join("examples").join(example),
            project.join("plan-ai.toml"),
        )
        .unwrap();
        for section in ["resistance", "communication", "metrics"] {
            let answer = root.join(format!("tests/it/data/answers/{answers}/{section}.json"));
            let pasted = plan_ai(&project, &["paste", section, answer.to_str().unwrap()]).status();
            assert!(pasted.unwrap().success(), "paste {answers}/{section}");
        }
        render_plan(&format!("{example} with realistic answers"), &project);
    }
}

fn render_plan(what: &str, dir: &Path) {
    use plan_ai::plan::{Plan, render};
    use plan_ai::run::{store::Store, workspace::Workspace};
    let project = dir.join("plan-ai.toml");
    let ws = Workspace::open(&project, None, None, None).expect("the project");
    let filled = ws.fill_all().expect("filled prompts");
    let planned = ws.planned(&filled, false);
    let store = Store::for_project(&project).expect("its store");
    let plan = Plan::assemble(&ws.loaded.project, &planned, &store);
    assert!(plan.missing().is_empty(), "{what}: every section answered");
    let opts = render::Options {
        draft_template: &ws.catalog.draft,
        annex_template: &ws.catalog.annex,
        reference_docx: None,
        part: render::Part::Whole,
    };
    println!("   {what}:");
    let runs = 20;
    let mut all = Duration::ZERO;
    for format in render::Format::ALL {
        let t = Instant::now();
        let mut bytes = 0;
        for _ in 0..runs {
            bytes = match render::render(&plan, format, &opts).expect("renders") {
                render::Output::File(b) => b.len(),
                render::Output::Folder(files) => files.iter().map(|(_, b)| b.len()).sum(),
            };
        }
        let per = t.elapsed() / runs;
        all += per;
        println!("     {:<5} {} ({bytes} bytes)", format.name(), ms(per));
    }
    println!(
        "     all five {} => {}",
        ms(all),
        verdict(all < Duration::from_millis(50))
    );
}

/// In process, on the library: the cost a structured section adds after its answer arrives.
fn structured() {
    use plan_ai::sections::{Kind, Structure, table};
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/crm-manufacturer.toml"),
    )
    .unwrap();
    let project = plan_ai::project::parse(Path::new("crm.toml"), &text)
        .unwrap()
        .project;
    println!("\n5. a structured section: check the JSON and render its table     target < 2 ms");
    for kind in [Kind::Resistance, Kind::Communication, Kind::Metrics] {
        let s = Structure::built_in(kind, &project);
        // Every string as long as its schema allows: the heaviest answer there can be.
        let answer = dialects::fill_schema(&s.schema, &"x".repeat(200)).to_string();
        let runs = 200;
        let t = Instant::now();
        for _ in 0..runs {
            let (_, checked) = s.check_text(&answer, &project).expect("a valid answer");
            std::hint::black_box(table::to_markdown(&checked));
        }
        let per = t.elapsed() / runs;
        println!(
            "   {:<14} {} per section ({} bytes of JSON) => {}",
            s.section,
            ms(per),
            answer.len(),
            verdict(per < Duration::from_millis(2))
        );
    }
}

fn plan_ai(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env("PLAN_AI_CONFIG_DIR", dir.join("config"))
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

/// Wall time of `runs` runs of a command, after `warmup` unmeasured ones.
fn time_runs(mut make: impl FnMut() -> Command, warmup: usize, runs: usize) -> Stats {
    for _ in 0..warmup {
        make().status().unwrap();
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let status = make().status().unwrap();
        samples.push(t.elapsed());
        assert!(status.success(), "benchmark command failed: {status}");
    }
    Stats::of(samples)
}

struct Stats {
    median: Duration,
    mean: Duration,
    min: Duration,
}

impl Stats {
    fn of(mut v: Vec<Duration>) -> Stats {
        v.sort();
        let mean = v.iter().sum::<Duration>() / v.len() as u32;
        Stats {
            median: v[v.len() / 2],
            mean,
            min: v[0],
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.2} ms", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

fn startup(dir: &Path) {
    let runs = 200;
    let ours = time_runs(|| plan_ai(dir, &["prompt", "--all"]), 10, runs);
    let truth = time_runs(
        || {
            let mut c = Command::new("true");
            c.stdout(Stdio::null());
            c
        },
        10,
        runs,
    );
    println!("1. cold start, `plan-ai prompt --all` ({runs} runs)            target < 5 ms");
    println!(
        "   plan-ai   median {}  mean {}  min {}",
        ms(ours.median),
        ms(ours.mean),
        ms(ours.min)
    );
    println!(
        "   true      median {}  mean {}  min {}",
        ms(truth.median),
        ms(truth.mean),
        ms(truth.min)
    );
    println!(
        "   => {} ({} over `true`)\n",
        verdict(ours.median < Duration::from_millis(5)),
        signed_ms(ours.median, truth.median)
    );
}

/// Prints plan-ai next to curl and whether plan-ai stays within `within` of it.
fn compare_with_curl(
    ours_label: &str,
    ours: &Stats,
    theirs_label: &str,
    theirs: &Stats,
    what: &str,
    within: Duration,
) {
    println!(
        "   {ours_label:<28} median {}  min {}",
        ms(ours.median),
        ms(ours.min)
    );
    println!(
        "   {theirs_label:<28} median {}  min {}",
        ms(theirs.median),
        ms(theirs.min)
    );
    println!(
        "   => {what} {}: {}\n",
        signed_ms(ours.median, theirs.median),
        verdict(ours.median <= theirs.median + within)
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn write_profile(dir: &Path, server: &FakeServer, extra: &str) {
    std::fs::write(
        dir.join("config/config.toml"),
        format!("default_profile = \"bench\"\n[profiles.bench]\nbase_url = \"{}\"\nmodel = \"fake-model\"\n{extra}", server.base_url()),
    )
    .unwrap();
}

fn curl_body(stream: bool) -> String {
    serde_json::json!({"model": "fake-model", "stream": stream, "messages": [{"role": "user", "content": "x"}]}).to_string()
}

fn curl(url: &str, body: &str, extra: &[&str]) -> Command {
    let mut c = Command::new("curl");
    c.args([
        "-s",
        "-o",
        "/dev/null",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
    ])
    .args(extra)
    .arg(url);
    c.stdout(Stdio::piped()).stderr(Stdio::null());
    c
}

fn overhead(dir: &Path, latency_ms: u64) {
    // A structured section, as the section commands ask by default, answered at the first
    // request; curl then sends the very body plan-ai sent.
    let server = FakeServer::start(move |req, _| {
        dialects::answer(dialects::Dialect::JsonSchema, req, "a cell").delayed(latency_ms)
    });
    write_profile(dir, &server, "");
    let url = format!("{}/chat/completions", server.base_url());
    let runs = 40;
    let ours = time_runs(|| plan_ai(dir, &["metrics", "--no-stream"]), 3, runs);
    let body = server
        .requests()
        .last()
        .expect("plan-ai's request")
        .raw_body
        .clone();
    let theirs = time_runs(|| curl(&url, &body, &[]), 3, runs);
    println!(
        "2. one structured section, plain http, server latency {latency_ms} ms ({runs} runs)  target: within 2 ms of curl"
    );
    compare_with_curl(
        "plan-ai metrics --no-stream",
        &ours,
        "curl, plan-ai's exact body",
        &theirs,
        "client overhead per request",
        Duration::from_millis(2),
    );
}

/// Time from spawning `cmd` to the first byte on its stdout (then drains it and checks it
/// succeeded). The same measurement for plan-ai and for curl, which only copies bytes.
fn first_stdout_byte(mut cmd: Command) -> Duration {
    cmd.stdout(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    out.read_exact(&mut byte).unwrap();
    let first = t.elapsed();
    out.read_to_end(&mut Vec::new()).unwrap();
    assert!(child.wait().unwrap().success());
    first
}

fn plan_ai_first_byte(dir: &Path) -> Duration {
    first_stdout_byte(plan_ai(dir, &["metrics"]))
}

fn curl_first_byte(url: &str, body: &str) -> Duration {
    let mut c = Command::new("curl");
    c.args([
        "-s",
        "-N",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        url,
    ]);
    c.stderr(Stdio::null());
    first_stdout_byte(c)
}

fn first_token(dir: &Path, first_byte_ms: u64) {
    // Headers at once, then the first token after a fixed delay, then the rest.
    let server = FakeServer::start(move |_, _| Reply::Sse {
        parts: vec![
            (first_byte_ms, role_chunk() + &delta("First")),
            (20, delta(" token.")),
            (0, finish("stop")),
            (0, done()),
        ],
        abort_at_end: false,
    });
    write_profile(dir, &server, "prose = true\n");
    let url = format!("{}/chat/completions", server.base_url());
    let body = curl_body(true);
    let runs = 20;
    let ours = Stats::of((0..runs).map(|_| plan_ai_first_byte(dir)).collect());
    let theirs = Stats::of((0..runs).map(|_| curl_first_byte(&url, &body)).collect());
    println!(
        "3. time to first streamed token, first byte at {first_byte_ms} ms ({runs} runs)  target: within 5 ms of the server's first byte"
    );
    compare_with_curl(
        "plan-ai first stdout byte",
        &ours,
        "curl first body byte",
        &theirs,
        "streaming adds",
        Duration::from_millis(5),
    );
}

fn draft(dir: &Path) {
    // Structured sections, as `draft` asks by default: valid JSON at the first request.
    let server = FakeServer::start(|req, _| {
        dialects::answer(dialects::Dialect::JsonSchema, req, "a cell of the plan").delayed(1000)
    });
    write_profile(dir, &server, "");
    let runs = 5;
    let mut walls = Vec::new();
    let mut peak_kb = None;
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(dir.join(".plan-ai"));
        let _ = std::fs::remove_file(dir.join("plan.md"));
        let (wall, kb) = run_with_peak_memory(dir, &["draft"]);
        walls.push(wall);
        peak_kb = peak_kb.max(kb);
    }
    let s = Stats::of(walls);
    println!(
        "4. `draft`, 3 sections, server latency 1 s ({runs} runs)         target <= 1.03 s (limit 1.00 s), <= 12 MiB"
    );
    println!("   wall median {}  min {}", ms(s.median), ms(s.min));
    let fits = match peak_kb {
        Some(kb) => {
            println!("   peak memory (max RSS) {:.1} MiB", kb as f64 / 1024.0);
            kb <= 12 * 1024
        }
        None => {
            println!("   peak memory: /usr/bin/time not available");
            true
        }
    };
    println!(
        "   => {}",
        verdict(s.median <= Duration::from_millis(1030) && fits)
    );
}

/// Runs plan-ai under GNU time when present, for the child's own max RSS.
fn run_with_peak_memory(dir: &Path, args: &[&str]) -> (Duration, Option<u64>) {
    let gnu_time = PathBuf::from("/usr/bin/time");
    let t = Instant::now();
    if gnu_time.exists() {
        let report = dir.join("time.out");
        let mut c = Command::new(&gnu_time);
        c.args(["-f", "%M", "-o"]).arg(&report).arg(BIN).args(args);
        let template = plan_ai(dir, args);
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        assert!(c.status().unwrap().success(), "draft failed");
        let wall = t.elapsed();
        let kb = std::fs::read_to_string(&report)
            .ok()
            .and_then(|s| s.trim().lines().last()?.trim().parse().ok());
        (wall, kb)
    } else {
        assert!(
            plan_ai(dir, args).status().unwrap().success(),
            "draft failed"
        );
        (t.elapsed(), None)
    }
}
