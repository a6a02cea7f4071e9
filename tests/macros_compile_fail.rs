//! Misuses of `#[tool]`, `#[resource]` and `#[prompt]` fail to compile with a message at the
//! offending tokens. The cases and their expected messages (`.stderr` snapshots) live in
//! `crates/turret-macros/tests/fail/`; `TRYBUILD=overwrite` refreshes the snapshots.

#[test]
fn misuses_are_compile_errors() {
    trybuild::TestCases::new().compile_fail("crates/turret-macros/tests/fail/*.rs");
}
