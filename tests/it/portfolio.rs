//! `portfolio draft | status | collect`: many projects in one process, one limit on requests
//! in flight, one pause for all on a 429, and the Batch API end to end.

use crate::support::batch_api::{Behaviour, FakeBatches};
use crate::support::dialects::{Dialect, answer};
use crate::support::*;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A folder `projects/` with the two examples as `crm.toml` and `erp.toml`, and a config whose
/// default profile (structured, no retries beyond `retries`) talks to `server`.
pub(crate) fn portfolio(server: &FakeServer, extra: &str) -> Sandbox {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.file("projects")).unwrap();
    std::fs::copy(example(CRM_EXAMPLE), sb.file("projects/crm.toml")).unwrap();
    std::fs::copy(example("erp-finance.toml"), sb.file("projects/erp.toml")).unwrap();
    sb.config(&format!(
        "default_profile = \"p\"\n[profiles.p]\nbase_url = \"{}\"\nmodel = \"{FAKE_MODEL}\"\nretries = 6\n{extra}",
        server.base_url()
    ));
    sb
}

fn structured_server() -> FakeServer {
    FakeServer::start(|req, _| answer(Dialect::JsonSchema, req, "portfolio cell"))
}

#[test]
fn a_folder_is_drafted_with_a_store_and_plan_per_project_and_a_summary() {
    let server = structured_server();
    let sb = portfolio(&server, "");
    sb.write(
        "projects/broken.toml",
        "[project]\nname = \"Broken\nsystem = 3\n",
    );
    sb.write("projects/Cargo.toml", "[package]\nname = \"not-a-plan\"\n");
    let run = sb.run(&["portfolio", "draft", "projects"]).expect(3);
    let err = run.stderr();
    assert_eq!(server.count(), 6, "3 sections each for the 2 good projects");
    for name in ["crm", "erp"] {
        assert!(
            sb.file(&format!("projects/{name}.plan.md")).exists(),
            "{err}"
        );
        assert!(
            sb.file(&format!(
                "projects/.plan-ai/projects/{name}/sections/metrics.json"
            ))
            .exists()
        );
    }
    assert_contains(&err, "broken.toml", "the broken project is reported");
    let summary = sb.read("projects/portfolio.md");
    assert_contains(
        &summary,
        "3 projects, 2 with every section done, 1 broken",
        "portfolio.md",
    );
    assert_contains(
        &summary,
        "[crm.plan.md](<crm.plan.md>)",
        "a link to the plan",
    );
    assert_contains(&summary, "Derek Holloway (resistant)", "who resists");
    assert!(!summary.contains("Cargo.toml"), "not a project: {summary}");
    assert!(sb.file("projects/portfolio.xlsx").exists());
    // Again: every answer is reused, no request.
    sb.run(&["portfolio", "draft", "projects"]).expect(3);
    assert_eq!(server.count(), 6);
}

#[test]
fn status_reads_the_stores_and_makes_no_request() {
    let server = structured_server();
    let sb = portfolio(&server, "");
    sb.run(&["portfolio", "draft", "projects/crm.toml"])
        .expect(0);
    let before = server.all_requests().len();
    // The ERP project has nothing yet; the CRM resistance answer goes stale when the company
    // type (in its prompt only) changes.
    let crm = sb.read("projects/crm.toml").replace(
        "family-owned industrial pump manufacturer",
        "listed pump maker",
    );
    sb.write("projects/crm.toml", &crm);
    let json: Value = serde_json::from_str(
        &sb.run(&["portfolio", "status", "projects", "--json"])
            .expect(0)
            .stdout(),
    )
    .unwrap();
    assert_eq!(
        server.all_requests().len(),
        before,
        "status asks the server nothing"
    );
    let by_file = |f: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|p| p["file"] == f)
            .unwrap()
            .clone()
    };
    // Paths read from where the command ran (issue 15: the folder is kept).
    let crm = by_file("projects/crm.toml");
    assert_eq!(crm["sections"]["stale"], 1, "{crm}");
    assert_eq!(crm["sections"]["done"], 2, "{crm}");
    assert_eq!(by_file("projects/erp.toml")["sections"]["missing"], 3);
    // The review's score of what is stored; none where nothing is.
    assert!(crm["score"].as_u64().is_some_and(|n| n <= 100), "{crm}");
    assert!(by_file("projects/erp.toml")["score"].is_null());
    let csv = sb
        .run(&["portfolio", "status", "projects", "--csv"])
        .expect(0)
        .stdout();
    assert!(csv.starts_with("\u{feff}Project,File,System"), "{csv}");
    let table = sb
        .run(&["portfolio", "status", "projects"])
        .expect(0)
        .stdout();
    assert_contains(&table, "projects/erp.toml", "the terminal table");
    assert_contains(&table, "Finance", "the terminal table names each project");
}

#[test]
fn each_plan_is_written_when_its_project_is_done_and_ctrl_c_keeps_it() {
    // The ERP project's requests hang; the CRM project's answer at once.
    let server = FakeServer::start(|req, _| {
        let reply = answer(Dialect::JsonSchema, req, "x");
        match req.raw_body.contains("Dynamics 365") {
            true => reply.delayed(30_000),
            false => reply,
        }
    });
    let sb = portfolio(&server, "stream = false\n");
    let mut child = sb
        .command(&["portfolio", "draft", "projects", "--jobs", "3"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let crm_plan = sb.file("projects/crm.plan.md");
    let written = wait_until(Duration::from_secs(20), || crm_plan.exists());
    let running = child.try_wait().unwrap().is_none();
    interrupt(&child);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(
        written && running,
        "crm.plan.md written while erp still runs"
    );
    assert_eq!(status.code(), Some(130));
    assert_contains(
        &sb.read("projects/crm.plan.md"),
        "# Implementation plan",
        "crm plan",
    );
    assert!(
        !sb.file("projects/erp.plan.md").exists(),
        "erp has no answers"
    );
    let summary = sb.read("projects/portfolio.md");
    assert_contains(
        &summary,
        "1 with every section done",
        "the summary, after Ctrl-C",
    );
}

#[test]
fn one_limit_on_requests_in_flight_across_projects() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, top) = (in_flight.clone(), peak.clone());
    let server = FakeServer::start(move |req, _| {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        top.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        now.fetch_sub(1, Ordering::SeqCst);
        answer(Dialect::JsonSchema, req, "x")
    });
    let sb = portfolio(&server, "stream = false\n");
    sb.run(&["portfolio", "draft", "projects", "--jobs", "2"])
        .expect(0);
    assert_eq!(server.count(), 6);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "never more than --jobs at once"
    );
}

#[test]
fn a_429_pauses_every_worker_until_the_server_says_and_the_run_finishes() {
    // The first two requests in a window of 1 s get through; the window's third gets a 429
    // with retry-after 1, and x-ratelimit headers say what is left. Answers take 200 ms, so
    // the run's first requests are all out before any header could hold them back.
    let window = Arc::new(Mutex::new((Instant::now(), 0u32)));
    let first_429 = Arc::new(Mutex::new(None::<Instant>));
    let (w, limited) = (window.clone(), first_429.clone());
    let server = FakeServer::start(move |req, _| {
        let mut w = w.lock().unwrap();
        let now = Instant::now();
        if now.duration_since(w.0) >= Duration::from_secs(1) {
            *w = (now, 0);
        }
        w.1 += 1;
        if w.1 > 2 {
            limited.lock().unwrap().get_or_insert(now);
            return Reply::error(429, "Rate limit reached for requests")
                .with_header("retry-after", "1");
        }
        let left = (2 - w.1).to_string();
        answer(Dialect::JsonSchema, req, "x")
            .with_header("x-ratelimit-remaining-requests", &left)
            .with_header("x-ratelimit-reset-requests", "1s")
            .delayed(200)
    });
    let sb = portfolio(&server, "stream = false\n");
    sb.run(&["portfolio", "draft", "projects", "--jobs", "6"])
        .expect(0);
    let status = sb
        .run(&["portfolio", "status", "projects", "--json"])
        .expect(0)
        .stdout();
    assert_eq!(status.matches("\"done\": 3").count(), 2, "{status}");
    // After the first 429, nobody asks again before its retry-after has passed (requests
    // already on their way when it was sent may still arrive in the first moments).
    let first = first_429.lock().unwrap().expect("the limit was hit");
    let too_soon = server
        .requests()
        .iter()
        .filter(|r| r.started > first + Duration::from_millis(100))
        .filter(|r| r.started < first + Duration::from_millis(900))
        .count();
    assert_eq!(too_soon, 0, "requests came within the pause");
}

pub(crate) fn batch_server(batches: Arc<FakeBatches>) -> FakeServer {
    let b = batches.clone();
    FakeServer::with_api(
        |req, _| answer(Dialect::JsonSchema, req, "live"),
        move |req| b.handle(req),
    )
}

#[test]
fn the_batch_api_end_to_end_with_a_failed_line_requeued() {
    let batches = Arc::new(FakeBatches::new(Behaviour {
        fail_containing: Some("::metrics".into()),
        polls_to_complete: 2,
        ..Default::default()
    }));
    let server = batch_server(batches.clone());
    let sb = portfolio(&server, "");
    let started = Instant::now();
    let err = sb
        .run(&["portfolio", "draft", "projects", "--batch"])
        .expect(0)
        .stderr();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "returns at once"
    );
    assert_contains(&err, "submitted batch batch_", "stderr");
    assert_eq!(server.count(), 0, "no real-time request");
    let lines = batches.uploaded_lines();
    assert_eq!(lines.len(), 6);
    assert!(
        lines
            .iter()
            .all(|l| l["body"]["response_format"]["type"] == "json_schema"),
        "structured through the batch"
    );
    assert!(
        sb.file("projects/.plan-ai/projects/crm/batch.json")
            .exists()
    );

    // Still running: nothing stored, nothing asked twice.
    let err = sb
        .run(&["portfolio", "collect", "projects"])
        .expect(0)
        .stderr();
    assert_contains(&err, "is validating", "stderr");
    assert!(
        !sb.file("projects/.plan-ai/projects/crm/sections/metrics.json")
            .exists()
    );
    sb.run(&["portfolio", "collect", "projects"]).expect(0);
    assert_eq!(batches.batch_count(), 1);

    // Completed (lines out of order): stored as real-time answers; each metrics line failed.
    let err = sb
        .run(&["portfolio", "collect", "projects"])
        .expect(4)
        .stderr();
    assert_contains(&err, "collected 4 sections; 2 failed", "stderr");
    let record = stored_record_at(
        &sb,
        "projects/.plan-ai/projects/crm/sections/communication.json",
    );
    assert_eq!(record["rung"], "json_schema");
    assert!(record["structured"]["matrix"].is_object());
    assert!(
        !sb.file("projects/.plan-ai/projects/crm/sections/metrics.json")
            .exists()
    );

    // The next --batch run sends only the failed lines again.
    batches.set_behaviour(Behaviour::default());
    sb.run(&["portfolio", "draft", "projects", "--batch"])
        .expect(0);
    assert_eq!(batches.uploads(), 2);
    let resent: Vec<String> = batches
        .last_upload()
        .iter()
        .map(|l| l["custom_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(resent.len(), 2, "{resent:?}");
    assert!(resent.iter().all(|id| id.ends_with("::metrics")));
    sb.run(&["portfolio", "collect", "projects"]).expect(0);
    // Every section is there: the plans are written by a real-time run that asks nothing.
    sb.run(&["portfolio", "draft", "projects"]).expect(0);
    assert_eq!(server.count(), 0);
    assert!(sb.file("projects/crm.plan.md").exists());
}

fn stored_record_at(sb: &Sandbox, path: &str) -> Value {
    serde_json::from_str(&sb.read(path)).unwrap()
}

#[test]
fn an_expired_batch_requeues_everything() {
    let batches = Arc::new(FakeBatches::new(Behaviour {
        expire: true,
        ..Default::default()
    }));
    let server = batch_server(batches.clone());
    let sb = portfolio(&server, "");
    sb.run(&["portfolio", "draft", "projects/crm.toml", "--batch"])
        .expect(0);
    let err = sb
        .run(&["portfolio", "collect", "projects/crm.toml"])
        .expect(4)
        .stderr();
    assert_contains(&err, "collected 0 sections; 3 failed", "stderr");
    assert_contains(&err, "the batch expired", "stderr");
    // A plain draft of the single project asks for them in real time.
    let run = sb.run(&["draft", "-p", "projects/crm.toml"]).expect(0);
    assert_eq!(server.count(), 3, "{}", run.stderr());
}

/// `portfolio status` reads paths from where it runs: two `plan-ai.toml` in two folders keep
/// their folders, each row names its project, and a folder with projects only further down
/// says so and points at `--recursive`.
#[test]
fn status_keeps_each_folder_and_names_each_project() {
    let sb = Sandbox::new();
    for dir in ["p01", "p02"] {
        std::fs::create_dir_all(sb.file(dir)).unwrap();
        std::fs::copy(
            example(CRM_EXAMPLE),
            sb.file(&format!("{dir}/plan-ai.toml")),
        )
        .unwrap();
    }
    let out = sb
        .run(&[
            "portfolio",
            "status",
            "p01/plan-ai.toml",
            "p02/plan-ai.toml",
        ])
        .expect(0)
        .stdout();
    assert_contains(&out, "p01/plan-ai.toml", "the first keeps its folder");
    assert_contains(&out, "p02/plan-ai.toml", "so does the second");
    assert_lacks(&out, &sb.path().display().to_string(), "no absolute paths");
    assert_contains(&out, "Sales CRM rollout 2027", "the project's name");
    let err = sb.run(&["portfolio", "status", "."]).expect(2).stderr();
    assert_contains(&err, "no project files", "an empty top folder");
    assert_contains(&err, "--recursive", "the way to look further down");
    sb.run(&["portfolio", "status", ".", "--recursive"])
        .expect(0);
}

/// With the named parts in a confidential annex, the portfolio summary (shared more widely
/// than the plans) counts who resists instead of naming them.
#[test]
fn with_an_annex_the_summary_counts_who_resists_and_names_nobody() {
    let server = structured_server();
    let sb = portfolio(&server, "");
    sb.run(&["portfolio", "draft", "projects", "--annex"])
        .expect(0);
    let md = sb.read("projects/portfolio.md");
    assert_contains(&md, "2 resistant (names in the annex)", "portfolio.md");
    for name in ["Derek Holloway", "Luis Ortega", "Brenda Walsh"] {
        assert_lacks(&md, name, "portfolio.md");
        assert_lacks(&sb.read("projects/portfolio.html"), name, "portfolio.html");
    }
    // The project says it too: `portfolio status` counts as well.
    let crm = sb.read("projects/crm.toml");
    sb.write(
        "projects/crm.toml",
        &format!("{crm}\n[output]\nconfidential_annex = true\n"),
    );
    let json = sb
        .run(&["portfolio", "status", "projects", "--json"])
        .expect(0)
        .stdout();
    assert_lacks(&json, "Derek Holloway", "status of an annexed project");
    assert_contains(&json, "Brenda Walsh", "the ERP project has no annex");
}

/// `--fresh` over a portfolio says, per project, which person-made versions the new answers
/// supersede (they stay in the history), as `draft --fresh` does for one project.
#[test]
fn fresh_names_the_versions_it_supersedes_per_project() {
    let server = structured_server();
    let sb = portfolio(&server, "");
    sb.run(&["portfolio", "draft", "projects"]).expect(0);
    sb.write("answer.md", "A summary a person wrote by hand.");
    sb.run(&["paste", "metrics", "answer.md", "-p", "projects/crm.toml"])
        .expect(0);
    let err = sb
        .run(&["portfolio", "draft", "projects", "--fresh"])
        .expect(0)
        .stderr();
    assert_contains(
        &err,
        "projects/crm.toml: `metrics`: the new answer supersedes version 2 (pasted); it stays in `plan-ai history metrics -p projects/crm.toml`",
        "stderr",
    );
    assert_lacks(&err, "erp.toml: `", "nothing of erp's was a person's");
}
