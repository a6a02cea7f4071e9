//! The `turret` binary (see the `turret_cli` library for what each command does).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    turret_cli::run().await
}
