//! `examples/auth.rs` runs its whole OAuth tour and exits 0: the 401 challenge, the flow,
//! `whoami` directly and through the proxy, and no pass-through of the proxy caller's token.

#[path = "support/fixture.rs"]
mod fixture;

use std::process::Command;
use std::time::Duration;

/// The subject the example's demo authorization server approves everyone as.
const SUBJECT: &str = "alice";

#[test]
fn the_auth_tour_serves_a_protected_endpoint_and_reaches_it_through_a_proxy() {
    let example = fixture::example("auth");
    let output = fixture::run_with_timeout(&mut Command::new(example), Duration::from_secs(20));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(output.status.success(), "the example failed\n{context}");

    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?}\n{context}"))
            .to_owned()
    };

    // Without a token: 401 and a challenge pointing at the protected-resource metadata.
    assert_eq!(line("HTTP "), "HTTP 401 Unauthorized", "{context}");
    let challenge = line("WWW-Authenticate: ");
    assert!(
        challenge.contains("Bearer") && challenge.contains("resource_metadata=\"http://127.0.0.1:"),
        "{challenge}\n{context}"
    );

    // The flow ran against the demo authorization server (registration, PKCE, token).
    assert!(stdout.contains("PKCE verifier matches"), "{context}");

    assert_eq!(
        line("whoami (direct): "),
        format!("whoami (direct): {SUBJECT}")
    );
    let proxied = line("whoami (through the proxy");
    assert!(
        proxied.ends_with(&format!("): {SUBJECT}")),
        "{proxied}\n{context}"
    );
    assert!(proxied.contains("Bearer bogus"), "{proxied}\n{context}");

    // The backend saw requests from the proxy during that call, none with the caller's token.
    let check = line("pass-through check: ");
    let counts: Vec<usize> = check
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [bogus, total, none, own] = counts[..] else {
        panic!("unexpected pass-through line: {check}\n{context}");
    };
    assert_eq!(bogus, 0, "{check}");
    assert!(own > 0, "{check}");
    assert_eq!(bogus + none + own, total, "{check}");
}
