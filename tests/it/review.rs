//! `plan-ai review`: the stored plan checked, as a scorecard or JSON, with no request; exit 7
//! below `--fail-under`.

use crate::support::*;
use serde_json::Value;

/// The CRM example with each section's answer pasted from the review fixtures.
fn pasted(quality: &str) -> (Sandbox, FakeServer) {
    let server = FakeServer::echo();
    let sb = fake_sandbox(&server, 0, "");
    let data = repo().join("tests/data/review");
    for section in ["resistance", "communication", "metrics"] {
        let file = data.join(format!("crm-{quality}-{section}.json"));
        sb.run(&["paste", section, file.to_str().unwrap()])
            .expect(0);
    }
    (sb, server)
}

#[test]
fn a_degraded_plan_is_scored_low_and_each_defect_named_without_a_request() {
    let (sb, server) = pasted("degraded");
    let out = sb.run(&["review", "--json"]).expect(0).stdout();
    assert_eq!(server.count(), 0, "the review asks no server");
    let v: Value = serde_json::from_str(&out).unwrap();
    let score = v["score"].as_u64().unwrap();
    assert!(score < 70, "{score}");
    let fails: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "fail")
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    for id in [
        "comms.sender",
        "comms.touchpoints",
        "resistance.owner",
        "metrics.vanity",
        "metrics.target",
        "metrics.owner",
        "plan.myths",
    ] {
        assert!(fails.contains(&id), "{id} in {fails:?}");
    }
    sb.run(&["review", "--fail-under", "70"]).expect(7);
    sb.run(&["review", "--fail-under", "101"]).expect(2);
}

#[test]
fn a_good_plan_passes_the_bar_and_the_scorecard_reads_by_section() {
    let (sb, _server) = pasted("good");
    let run = sb.run(&["review", "--fail-under", "90"]).expect(0);
    let out = run.stdout();
    for heading in [
        "Communication\n",
        "Resistance\n",
        "Metrics\n",
        "Whole plan\n",
    ] {
        assert_contains(&out, heading, "the scorecard");
    }
    assert_contains(&out, "pass  comms.sender", "the scorecard");
    assert_lacks(&out, "fail ", "a good plan");
    let last = out.trim_end().lines().last().unwrap();
    assert!(last.starts_with("score: 9"), "{last}");
}

#[test]
fn a_plan_with_nothing_stored_yet_is_reviewed_too() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    let out = sb.run(&["review", "--json"]).expect(0).stdout();
    let v: Value = serde_json::from_str(&out).unwrap();
    let missing = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "plan.complete" && f["level"] == "fail")
        .count();
    assert_eq!(missing, 3);
    assert!(v["score"].as_u64().unwrap() <= 69);
}

#[test]
fn text_from_the_store_reaches_the_terminal_clean() {
    let (sb, _server) = pasted("degraded");
    let record = sb.file(".plan-ai/sections/metrics.json");
    let text = std::fs::read_to_string(&record).unwrap();
    // A hand-edited record whose owner carries an escape sequence and the clipboard write.
    let text = text.replacen(
        "\"owner\": \"\"",
        "\"owner\": \"\\u001b]52;c;ZXZpbA==\\u0007\"",
        1,
    );
    std::fs::write(&record, text).unwrap();
    let out = sb.run(&["review"]).expect(0).stdout();
    assert_lacks(&out, "\u{1b}]52", "the scorecard");
    assert_lacks(&out, "\u{7}", "the scorecard");
}
