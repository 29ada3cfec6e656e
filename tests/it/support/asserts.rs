//! Assertions on text that show what was searched, and the visible skip.

use std::io::Write;

/// Asserts that `haystack` contains `needle`; `what` names the haystack in the failure message.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str, what: &str) {
    assert!(
        haystack.contains(needle),
        "{what} should contain {needle:?}:\n{haystack}"
    );
}

/// Asserts that `haystack` does not contain `needle`.
#[track_caller]
pub fn assert_lacks(haystack: &str, needle: &str, what: &str) {
    assert!(
        !haystack.contains(needle),
        "{what} should not contain {needle:?}:\n{haystack}"
    );
}

/// Says that `test` is skipped and why, past the test harness's output capture (which only
/// catches `print!`/`eprint!`), so the skip shows in a plain `cargo test`.
pub fn skip(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr().lock(), "skipped: {test}: {reason}");
}
