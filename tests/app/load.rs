//! The load tool against a real server: `paperboy-bench load` with a few clients for a few
//! seconds (the 200-client minute is the documented command in docs/performance.md).

use crate::helpers::Instance;

#[test]
fn many_clients_reading_voting_and_subscribing_at_once_get_no_errors() {
    let instance = Instance::with_demo_data();
    let output = instance
        .bench_command()
        .args(["load", "--clients", "24", "--seconds", "5"])
        .output()
        .expect("paperboy-bench runs");
    let run = crate::helpers::Run::from(output);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for kind in ["day page", "paper page", "search", "vote", "subscribe", "all"] {
        let line = run
            .stdout
            .lines()
            .find(|line| line.trim_start().starts_with(kind))
            .unwrap_or_else(|| panic!("no line for {kind}:\n{}", run.stdout));
        let numbers: Vec<u64> = line.split_whitespace().filter_map(|word| word.parse().ok()).collect();
        assert!(numbers[0] > 0, "some {kind} requests were made: {line}");
        // A vote counts as answered only when it was taken (303), a subscription only when
        // its confirmation was asked for (200).
        assert_eq!(numbers[1], 0, "no {kind} request failed: {line}");
    }
}
