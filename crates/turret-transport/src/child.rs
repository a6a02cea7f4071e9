//! A client transport that runs a server as a child process: the stdio transport seen from
//! the client's side.
//!
//! [`ChildProcess::spawn`] starts the program with its stdin and stdout piped (they carry the
//! messages) and its stderr inherited (the server's logs pass through to this process's
//! stderr). It returns the [`Transport`] to connect a client over and a [`ChildHandle`] that
//! owns the process.
//!
//! Shutting down follows the stdio rules of MCP: close the server's stdin, wait for it to
//! exit, then escalate to `SIGTERM` and finally `SIGKILL`. The transport's sink writes to the
//! stdin the handle shares, so either side can close it:
//!
//! 1. [`Client::close`](turret_core::Client::close) flushes what is queued and closes the
//!    sink, which closes stdin (the graceful signal);
//! 2. [`ChildHandle::shutdown`] then closes stdin if it is still open, waits up to `grace`
//!    for the exit, sends `SIGTERM`, waits up to `grace` again, and sends `SIGKILL`.
//!
//! Dropping the handle kills the process (`kill_on_drop`).
//!
//! ```no_run
//! use std::time::Duration;
//! use turret_core::Client;
//! use turret_transport::child::ChildProcess;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (transport, child) = ChildProcess::new("my-mcp-server").arg("--stdio").spawn()?;
//! let client = Client::builder().connect(transport).await?;
//! println!("{} tools", client.list_tools().await?.len());
//! client.close().await?;
//! let status = child.shutdown(Duration::from_secs(2)).await?;
//! println!("server exited: {status}");
//! # Ok(())
//! # }
//! ```

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::AsyncWrite;
use tokio::process::{Child, ChildStdin, Command};
use turret_core::Transport;

/// A server program to run as a child process; configure it, then [`spawn`](Self::spawn).
pub struct ChildProcess {
    command: Command,
}

impl fmt::Debug for ChildProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildProcess")
            .field("command", self.command.as_std())
            .finish()
    }
}

impl ChildProcess {
    /// Runs `program` (looked up on `PATH` if it has no path separator).
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            command: Command::new(program),
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Sets an environment variable (the rest of this process's environment is inherited).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Removes an inherited environment variable.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(key);
        self
    }

    /// The working directory of the server.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Starts the process (needs a tokio runtime): stdin and stdout piped and framed as
    /// newline-delimited JSON, stderr inherited, killed when the handle is dropped.
    pub fn spawn(mut self) -> io::Result<(Transport, ChildHandle)> {
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let missing = || io::Error::other("the child's stdio was not piped");
        let stdin = SharedStdin(Arc::new(Mutex::new(Some(
            child.stdin.take().ok_or_else(missing)?,
        ))));
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let transport = crate::framing::from_io(stdout, stdin.clone());
        Ok((transport, ChildHandle { child, stdin }))
    }
}

/// The server's stdin, shared by the transport (which writes to it) and the handle (which
/// may close it). Closing drops the pipe, so the server reads end-of-file.
#[derive(Clone)]
struct SharedStdin(Arc<Mutex<Option<ChildStdin>>>);

impl SharedStdin {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ChildStdin>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn close(&self) {
        drop(self.lock().take());
    }
}

fn stdin_closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the server's stdin is closed")
}

impl AsyncWrite for SharedStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.lock().as_mut() {
            Some(stdin) => Pin::new(stdin).poll_write(cx, buf),
            None => Poll::Ready(Err(stdin_closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.lock().as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Flushes, then closes the pipe.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut guard = self.lock();
        if let Some(stdin) = guard.as_mut() {
            let flushed = ready!(Pin::new(stdin).poll_flush(cx));
            guard.take();
            flushed?;
        }
        Poll::Ready(Ok(()))
    }
}

/// The running server process; see the [module docs](self) for the shutdown order.
pub struct ChildHandle {
    child: Child,
    stdin: SharedStdin,
}

impl fmt::Debug for ChildHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildHandle")
            .field("pid", &self.child.id())
            .field("stdin_open", &self.stdin.lock().is_some())
            .finish()
    }
}

impl ChildHandle {
    /// The process id, while the process has not been reaped.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Closes the server's stdin (it reads end-of-file); later writes by the transport fail
    /// with `BrokenPipe`.
    pub fn close_stdin(&self) {
        self.stdin.close();
    }

    /// The exit status, if the process has exited.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Waits for the process to exit (without closing anything).
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// Stops the server: closes its stdin and waits up to `grace` for it to exit; then sends
    /// `SIGTERM` (on Unix) and waits up to `grace` again; then kills it (`SIGKILL`). Returns
    /// how it exited.
    pub async fn shutdown(mut self, grace: Duration) -> io::Result<ExitStatus> {
        self.stdin.close();
        if let Ok(status) = tokio::time::timeout(grace, self.child.wait()).await {
            return status;
        }
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            terminate(pid);
            if let Ok(status) = tokio::time::timeout(grace, self.child.wait()).await {
                return status;
            }
        }
        tracing::debug!(pid = ?self.child.id(), "the server ignored its closed stdin and SIGTERM; killing it");
        self.child.kill().await?;
        self.child.wait().await
    }
}

/// Sends `SIGTERM`; a process that is already gone is not an error.
#[cfg(unix)]
fn terminate(pid: u32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;

    let Ok(pid) = i32::try_from(pid) else { return };
    if let Err(e) = kill(Pid::from_raw(pid), Signal::SIGTERM) {
        tracing::debug!(error = %e, pid, "SIGTERM failed");
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::process::ExitStatusExt as _;
    use std::time::Instant;

    use nix::sys::signal::Signal;

    use super::*;

    const GRACE: Duration = Duration::from_millis(500);

    /// `sh -c script`, ready to configure further or spawn.
    fn sh(script: &str) -> ChildProcess {
        ChildProcess::new("sh").args(["-c", script])
    }

    /// Spawns `sh -c script` and shuts it down with [`GRACE`], keeping the transport open
    /// until the shutdown is over; returns the exit status and how long the shutdown took.
    async fn timed_shutdown(script: &str) -> (ExitStatus, Duration) {
        let (_transport, child) = sh(script).spawn().unwrap();
        let started = Instant::now();
        let status = child.shutdown(GRACE).await.unwrap();
        (status, started.elapsed())
    }

    #[tokio::test]
    async fn a_server_that_reads_stdin_exits_when_it_is_closed() {
        let (status, elapsed) = timed_shutdown("cat >/dev/null").await;
        assert!(status.success(), "{status}");
        assert!(elapsed < GRACE, "exited on EOF, without signals");
    }

    #[tokio::test]
    async fn closing_the_transport_sink_closes_stdin() {
        use futures_util::SinkExt as _;

        let (transport, mut child) = sh("cat >/dev/null").spawn().unwrap();
        let (_stream, mut sink) = transport.into_parts();
        sink.close().await.unwrap();
        let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success());
    }

    /// Shuts down `sh -c script` and checks that `signal` ended it, no sooner than `at_least`.
    async fn assert_stopped_by(script: &str, signal: Signal, at_least: Duration) {
        let (status, elapsed) = timed_shutdown(script).await;
        assert_eq!(status.signal(), Some(signal as i32));
        assert!(elapsed >= at_least);
    }

    #[tokio::test]
    async fn a_server_that_ignores_stdin_gets_sigterm() {
        assert_stopped_by("exec sleep 60", Signal::SIGTERM, GRACE).await;
    }

    #[tokio::test]
    async fn a_server_that_ignores_sigterm_gets_sigkill() {
        assert_stopped_by("trap '' TERM; exec sleep 60", Signal::SIGKILL, GRACE * 2).await;
    }

    #[tokio::test]
    async fn env_and_current_dir_reach_the_child() {
        use futures_util::StreamExt as _;

        let dir = std::env::temp_dir();
        let script = r#"printf '{"jsonrpc":"2.0","method":"x","params":{"v":"%s","d":"%s"}}\n' "$TURRET_TEST_V" "$(pwd -P)""#;
        let (transport, child) = sh(script)
            .env("TURRET_TEST_V", "hello")
            .current_dir(&dir)
            .spawn()
            .unwrap();
        let (mut stream, _sink) = transport.into_parts();
        let message = stream.next().await.unwrap().unwrap();
        let turret_core::types::JsonRpcMessage::Notification(n) = message else {
            panic!("{message:?}")
        };
        let params = n.params.unwrap();
        assert_eq!(params["v"], "hello");
        let expected = dir.canonicalize().unwrap();
        assert_eq!(params["d"], expected.to_str().unwrap());
        child.shutdown(GRACE).await.unwrap();
    }
}
