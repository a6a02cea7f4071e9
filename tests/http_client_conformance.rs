//! Turret's client (`examples/conformance_client.rs`) against the client scenarios of the
//! official conformance suites: every scenario of 0.1.16 (`conformance`), and of
//! 0.2.0-alpha.12 (`conformance_next`) both on its default wire and on the 2026-07-28 wire
//! (`--spec-version 2026-07-28`: `--requirements 2026-07-28` cannot be combined with
//! `--scenario`), the `auth/*` ones included (the client runs them through
//! `turret::auth`'s `OAuthLayer`). At 2026-07-28 the suite skips the 2025-03-26 and extension
//! auth scenarios, so they are listed only on the default wire; among them `auth/dpop` and
//! `auth/dpop-nonce` (DPoP-bound tokens, an extension, which the client uses when the
//! authorization server advertises ES256).
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

/// The `auth/*` scenarios of every suite and wire.
macro_rules! auth_in_every_suite {
    ($suite:expr) => {
        scenarios! { $suite =>
            metadata_default: "auth/metadata-default",
            metadata_var1: "auth/metadata-var1",
            metadata_var2: "auth/metadata-var2",
            metadata_var3: "auth/metadata-var3",
            basic_cimd: "auth/basic-cimd",
            scope_from_www_authenticate: "auth/scope-from-www-authenticate",
            scope_from_scopes_supported: "auth/scope-from-scopes-supported",
            scope_omitted_when_undefined: "auth/scope-omitted-when-undefined",
            scope_step_up: "auth/scope-step-up",
            scope_retry_limit: "auth/scope-retry-limit",
            token_endpoint_auth_basic: "auth/token-endpoint-auth-basic",
            token_endpoint_auth_post: "auth/token-endpoint-auth-post",
            token_endpoint_auth_none: "auth/token-endpoint-auth-none",
            pre_registration: "auth/pre-registration",
            resource_mismatch: "auth/resource-mismatch",
            offline_access_scope: "auth/offline-access-scope",
            offline_access_not_supported: "auth/offline-access-not-supported",
        }
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

    mod auth {
        use super::*;

        auth_in_every_suite!(Suite::Stable);

        scenarios! { Suite::Stable =>
            oauth_metadata_backcompat_2025_03_26: "auth/2025-03-26-oauth-metadata-backcompat",
            oauth_endpoint_fallback_2025_03_26: "auth/2025-03-26-oauth-endpoint-fallback",
            client_credentials_jwt: "auth/client-credentials-jwt",
            client_credentials_basic: "auth/client-credentials-basic",
            cross_app_access_complete_flow: "auth/cross-app-access-complete-flow",
        }
    }
}

/// The `auth/*` scenarios both wires of the pre-release suite run, beyond those.
macro_rules! next_auth_common {
    ($suite:expr) => {
        auth_in_every_suite!($suite);

        scenarios! { $suite =>
            authorization_server_migration: "auth/authorization-server-migration",
            iss_supported: "auth/iss-supported",
            iss_not_advertised: "auth/iss-not-advertised",
            iss_supported_missing: "auth/iss-supported-missing",
            iss_wrong_issuer: "auth/iss-wrong-issuer",
            iss_unexpected: "auth/iss-unexpected",
            iss_normalized: "auth/iss-normalized",
            metadata_issuer_mismatch: "auth/metadata-issuer-mismatch",
        }
    };
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

    mod auth {
        use super::*;

        next_auth_common!(Suite::Next);

        scenarios! { Suite::Next =>
            oauth_metadata_backcompat_2025_03_26: "auth/2025-03-26-oauth-metadata-backcompat",
            oauth_endpoint_fallback_2025_03_26: "auth/2025-03-26-oauth-endpoint-fallback",
            client_credentials_jwt: "auth/client-credentials-jwt",
            client_credentials_basic: "auth/client-credentials-basic",
            enterprise_managed_authorization: "auth/enterprise-managed-authorization",
            wif_jwt_bearer: "auth/wif-jwt-bearer",
            dpop: "auth/dpop",
            dpop_nonce: "auth/dpop-nonce",
        }
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

mod next_2026_07_28_auth {
    use super::*;

    next_auth_common!(Suite::Next2026);
}
