//! Connecting to the server a command names: a URL, or a command run over stdio.
//!
//! [`Target`] parses what the user gave ([`Target::from_parts`]); [`Target::connect`] starts
//! the child process (for a command) and settles the protocol with the server, within a
//! connect timeout, giving a [`Connection`] that owns the client and the child and closes
//! both with [`Connection::close`]. Both commands print through `print_stdout`.

use std::fmt;
use std::time::Duration;

use turret_core::{Client, Era};
use turret_transport::http_client::StreamableHttpClient;
use turret_transport::{ChildHandle, ChildProcess};

/// How long a child server gets to exit after its stdin is closed, and again after `SIGTERM`,
/// before it is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The MCP server a command talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A streamable HTTP endpoint (falling back to HTTP+SSE when the server is an old one).
    Url(String),
    /// A program run as a child process, spoken to over its stdin and stdout.
    Command {
        /// The program (looked up on `PATH` when it has no path separator).
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

impl fmt::Display for Target {
    /// The URL, or the command line as typed (arguments with spaces quoted), for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => f.write_str(url),
            Self::Command { program, args } => {
                write!(f, "`{program}")?;
                for arg in args {
                    if arg.is_empty() || arg.contains(char::is_whitespace) {
                        write!(f, " {arg:?}")?;
                    } else {
                        write!(f, " {arg}")?;
                    }
                }
                f.write_str("`")
            }
        }
    }
}

impl Target {
    /// The target from a URL argument and the words after `--`: exactly one of the two must
    /// be given. The error says what to type instead.
    pub fn from_parts(url: Option<&str>, command: &[String]) -> Result<Self, String> {
        match (url, command.split_first()) {
            (Some(url), None) => Ok(Self::Url(url.to_owned())),
            (None, Some((program, args))) => Ok(Self::Command {
                program: program.clone(),
                args: args.to_vec(),
            }),
            (Some(url), Some(_)) => Err(format!(
                "give either a URL ({url}) or a command after --, not both"
            )),
            (None, None) => Err("no server given: pass its URL, or its command after -- \
                 (for example `-- npx -y @modelcontextprotocol/server-everything`)"
                .to_owned()),
        }
    }

    /// Connects a client ([`Era::Auto`]): starts the child for a command, and waits at most
    /// `timeout` for the server to answer the protocol negotiation. The error names the
    /// target; a child that was started is stopped again.
    pub async fn connect(&self, timeout: Duration) -> Result<Connection, String> {
        let (transport, child) = match self {
            Self::Url(url) => {
                let transport = StreamableHttpClient::new(url)
                    .connect()
                    .map_err(|e| format!("cannot connect to {self}: {e}"))?;
                (transport, None)
            }
            Self::Command { program, args } => {
                let (transport, child) = ChildProcess::new(program)
                    .args(args)
                    .spawn()
                    .map_err(|e| format!("cannot start {self}: {e}"))?;
                (transport, Some(child))
            }
        };
        let connected =
            tokio::time::timeout(timeout, Client::builder().era(Era::Auto).connect(transport))
                .await;
        let failure = match connected {
            Ok(Ok(client)) => return Ok(Connection { client, child }),
            Ok(Err(e)) => format!("cannot connect to {self}: {e}"),
            Err(_) => format!(
                "cannot connect to {self}: no answer to the protocol negotiation within {}",
                seconds(timeout)
            ),
        };
        // The client is gone (dropping it closed the transport); don't leave the child behind.
        match child {
            Some(child) => Err(with_exit_status(failure, child).await),
            None => Err(failure),
        }
    }
}

/// Adds how the child exited to `failure` when it already has (a server that crashed on
/// start is the usual reason a command cannot connect), and stops it otherwise.
async fn with_exit_status(failure: String, mut child: ChildHandle) -> String {
    let exited = child.try_wait().ok().flatten();
    let exited = match exited {
        Some(status) => Some(status),
        // It may be exiting right now, having read end-of-file: give it a moment.
        None => tokio::time::timeout(Duration::from_millis(200), child.wait())
            .await
            .ok()
            .and_then(Result::ok),
    };
    match exited {
        Some(status) => format!("{failure} (the server exited: {status})"),
        None => {
            if let Err(e) = child.shutdown(SHUTDOWN_GRACE).await {
                tracing::debug!(error = %e, "stopping the server failed");
            }
            failure
        }
    }
}

/// `30 s`, `0.5 s`.
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// Parses a number of seconds (`30`, `0.5`) for `--connect-timeout`.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?}: give a positive number of seconds"))
}

/// A connected client, and the child process it talks to when the target was a command.
#[derive(Debug)]
pub struct Connection {
    client: Client,
    child: Option<ChildHandle>,
}

impl Connection {
    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Closes the client (for HTTP, ending the session), then stops the child: its stdin
    /// is closed first, so a well-behaved server exits on its own. Failures are only
    /// logged, since whatever the command had to print is printed by then.
    pub async fn close(self) {
        if let Err(e) = self.client.close().await {
            tracing::debug!(error = %e, "closing the client failed");
        }
        if let Some(child) = self.child {
            match child.shutdown(SHUTDOWN_GRACE).await {
                Ok(status) => tracing::debug!(%status, "the server exited"),
                Err(e) => tracing::debug!(error = %e, "stopping the server failed"),
            }
        }
    }
}

/// Writes `text` to stdout. A reader that went away (`turret inspect … | head`) is not an
/// error, while `print!` would panic on it; other write failures are.
pub(crate) fn print_stdout(text: &str) -> Result<(), String> {
    use std::io::Write as _;

    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn a_url_or_a_command_but_not_both_nor_neither() {
        assert_eq!(
            Target::from_parts(Some("http://h/mcp"), &[]),
            Ok(Target::Url("http://h/mcp".into()))
        );
        assert_eq!(
            Target::from_parts(None, &words(&["srv", "--stdio"])),
            Ok(Target::Command {
                program: "srv".into(),
                args: words(&["--stdio"])
            })
        );
        let both = Target::from_parts(Some("http://h/mcp"), &words(&["srv"])).unwrap_err();
        assert!(both.contains("not both"), "{both}");
        let neither = Target::from_parts(None, &[]).unwrap_err();
        assert!(neither.contains("no server given"), "{neither}");
    }

    #[test]
    fn commands_are_shown_as_typed() {
        let target = Target::from_parts(None, &words(&["srv", "a b", "", "c"])).unwrap();
        assert_eq!(target.to_string(), r#"`srv "a b" "" c`"#);
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["", "soon", "0", "-1", "NaN", "inf"] {
            assert!(parse_seconds(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[tokio::test]
    async fn a_missing_program_is_named() {
        let target =
            Target::from_parts(None, &words(&["/nonexistent/turret-test-server"])).unwrap();
        let error = target.connect(Duration::from_secs(5)).await.unwrap_err();
        assert!(
            error.starts_with("cannot start `/nonexistent/turret-test-server`"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_server_that_exits_at_once_is_reported_with_its_status() {
        let target = Target::from_parts(None, &words(&["sh", "-c", "exit 3"])).unwrap();
        let error = target.connect(Duration::from_secs(10)).await.unwrap_err();
        assert!(
            error.starts_with(r#"cannot connect to `sh -c "exit 3"`"#),
            "{error}"
        );
        assert!(error.contains("exit status: 3"), "{error}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        // Reads its stdin forever and never answers.
        let target = Target::from_parts(None, &words(&["sh", "-c", "cat >/dev/null"])).unwrap();
        let started = std::time::Instant::now();
        let error = target
            .connect(Duration::from_millis(500))
            .await
            .unwrap_err();
        assert!(error.contains("within 0.5 s"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_url_that_is_not_http_is_refused_at_once() {
        let target = Target::Url("ftp://example.invalid/mcp".into());
        let error = target.connect(Duration::from_secs(5)).await.unwrap_err();
        assert!(
            error.starts_with("cannot connect to ftp://example.invalid/mcp"),
            "{error}"
        );
    }
}
