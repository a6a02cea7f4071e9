//! Turret's client (`examples/conformance_client.rs`) against the client scenarios of the
//! official conformance suites: every non-auth scenario of 0.1.16 (`conformance`), and of
//! 0.2.0-alpha.12 (`conformance_next`) both on its default 2025-11-25 wire and on the
//! 2026-07-28 wire (`--spec-version 2026-07-28`: `--requirements 2026-07-28` cannot be
//! combined with `--scenario`, and the requirement set also holds the auth scenarios).
//!
//! Each scenario runs through `../shared/harness/netns-run.sh`, as the harness README says:
//! the suites' mock servers listen on every interface, and the private network namespace
//! keeps them on loopback. Needs the external harness (`../shared/harness/setup.sh`, which
//! CI installs) and unprivileged user namespaces (or root).

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

/// One scenario at a time: `sse-retry` measures the client's reconnection delay to within
/// 200 ms, which a machine busy with a dozen suites at once could blur.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[derive(Clone, Copy)]
enum Suite {
    /// 0.1.16.
    Stable,
    /// 0.2.0-alpha.12 on its default wire (2025-11-25).
    Next,
    /// 0.2.0-alpha.12 on the 2026-07-28 wire.
    Next2026,
}

fn run(suite: Suite, scenario: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (program, extra): (&str, &[&str]) = match suite {
        Suite::Stable => ("npm/node_modules/.bin/conformance", &[]),
        Suite::Next => ("bin/conformance_next", &[]),
        Suite::Next2026 => ("bin/conformance_next", &["--spec-version", "2026-07-28"]),
    };
    let suite_program = fixture::harness_program(program);
    let client = fixture::example("conformance_client");
    let netns = fixture::shared_dir().join("harness/netns-run.sh");
    let mut command = Command::new(&netns);
    command
        .arg(&suite_program)
        .args(["client", "--command"])
        .arg(client)
        .args(["--scenario", scenario])
        .args(extra)
        .env("PATH", fixture::harness_path_env());
    let output = fixture::run_with_timeout(&mut command, Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("unshare:") && !stderr.contains("Operation not permitted"),
        "{} could not make a private network namespace (it needs root or unprivileged user \
         namespaces):\n{stderr}",
        netns.display()
    );
    assert!(
        output.status.success()
            && (stdout.contains("OVERALL: PASSED") || stderr.contains("OVERALL: PASSED")),
        "scenario {scenario} failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
}

macro_rules! scenarios {
    ($suite:expr => $($test:ident: $scenario:literal),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                run($suite, $scenario);
            }
        )+
    };
}

mod stable {
    use super::*;

    scenarios! { Suite::Stable =>
        initialize: "initialize",
        tools_call: "tools_call",
        elicitation_sep1034_client_defaults: "elicitation-sep1034-client-defaults",
        sse_retry: "sse-retry",
    }
}

mod next_2025_11_25 {
    use super::*;

    scenarios! { Suite::Next =>
        initialize: "initialize",
        tools_call: "tools_call",
        elicitation_sep1034_client_defaults: "elicitation-sep1034-client-defaults",
        sse_retry: "sse-retry",
        json_schema_2020_12_preservation: "json-schema-2020-12-preservation",
    }
}

mod next_2026_07_28 {
    use super::*;

    scenarios! { Suite::Next2026 =>
        tools_call: "tools_call",
        request_metadata: "request-metadata",
        sep_2322_client_request_state: "sep-2322-client-request-state",
        http_standard_headers: "http-standard-headers",
        http_custom_headers: "http-custom-headers",
        http_invalid_tool_headers: "http-invalid-tool-headers",
        json_schema_ref_no_deref: "json-schema-ref-no-deref",
        json_schema_2020_12_preservation: "json-schema-2020-12-preservation",
    }
}
