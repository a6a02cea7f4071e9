//! A server child process spoken to in raw lines: what a test writes is exactly what the
//! server reads, and every line the server writes is kept, so tests can assert on error codes
//! and validate every message against the protocol schema.
//!
//! Include with `#[path = "support/raw_stdio.rs"] mod raw_stdio;`.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a test waits for the server to answer before failing.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// Who wrote a message of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The test (as the client).
    Client,
    /// The server.
    Server,
}

/// What came back for one request: the response, and everything the server sent before it
/// (notifications, and requests the test answered).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The response: a `result` or an `error`.
    pub response: Value,
    /// Notifications the server sent while the request ran, in order.
    pub notifications: Vec<Value>,
    /// Requests the server sent while the request ran, in order.
    pub server_requests: Vec<Value>,
}

impl Exchange {
    /// The `result` member; panics with the response when it is an error.
    pub fn result(&self) -> &Value {
        match self.response.get("result") {
            Some(r) => r,
            None => panic!("expected a result, got {}", self.response),
        }
    }

    /// The error code; panics with the response when it is a result.
    pub fn error_code(&self) -> i64 {
        match self.response.pointer("/error/code").and_then(Value::as_i64) {
            Some(code) => code,
            None => panic!("expected an error, got {}", self.response),
        }
    }

    /// Notifications of one method.
    pub fn notifications_of(&self, method: &str) -> Vec<&Value> {
        self.notifications
            .iter()
            .filter(|n| n["method"] == method)
            .collect()
    }
}

/// A running server whose stdin and stdout the test drives line by line.
pub struct RawServer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    transcript: Vec<(Side, Value)>,
    next_id: i64,
}

impl RawServer {
    /// Starts `program` with piped stdin/stdout (stderr is the test's).
    pub fn spawn(program: &Path) -> Self {
        let mut child = Command::new(program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            transcript: Vec::new(),
            next_id: 1,
        }
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Writes `line` and a newline, as it is (it need not be JSON).
    pub fn send_line(&mut self, line: &str) {
        if let Ok(value) = serde_json::from_str::<Value>(line) {
            self.transcript.push((Side::Client, value));
        }
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .expect("the server closed its stdin");
    }

    /// Writes one message.
    pub fn send(&mut self, message: &Value) {
        self.send_line(&message.to_string());
    }

    /// The next message the server writes, or `None` after `timeout`. Every line must be
    /// JSON: stdout carries only messages.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Value> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => {
                let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("the server wrote a line that is not JSON ({e}): {line}")
                });
                self.transcript.push((Side::Server, value.clone()));
                Some(value)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed stdout"),
        }
    }

    /// The next message the server writes; fails the test after [`ANSWER_TIMEOUT`].
    pub fn recv(&mut self) -> Value {
        self.recv_timeout(ANSWER_TIMEOUT)
            .unwrap_or_else(|| panic!("the server wrote nothing for {ANSWER_TIMEOUT:?}"))
    }

    /// Reads until the response with `id`, answering server requests with `answer` (a
    /// request's `result`; `Err` sends that error object instead).
    pub fn await_response(
        &mut self,
        id: &Value,
        mut answer: impl FnMut(&Value) -> Result<Value, Value>,
    ) -> Exchange {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let mut notifications = Vec::new();
        let mut server_requests = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .recv_timeout(left)
                .unwrap_or_else(|| panic!("no response to request {id} within {ANSWER_TIMEOUT:?}"));
            let is_response = message.get("result").is_some() || message.get("error").is_some();
            if is_response && message.get("id") == Some(id) {
                return Exchange {
                    response: message,
                    notifications,
                    server_requests,
                };
            }
            if is_response {
                panic!("a response to another request arrived while waiting for {id}: {message}");
            }
            if message.get("id").is_some() {
                let reply = match answer(&message) {
                    Ok(result) => {
                        json!({ "jsonrpc": "2.0", "id": message["id"], "result": result })
                    }
                    Err(error) => {
                        json!({ "jsonrpc": "2.0", "id": message["id"], "error": error })
                    }
                };
                server_requests.push(message);
                self.send(&reply);
            } else {
                notifications.push(message);
            }
        }
    }

    /// Sends a request and waits for its response, failing on any server request.
    pub fn request(&mut self, method: &str, params: Option<Value>) -> Exchange {
        self.request_answering(method, params, |r| panic!("unexpected server request {r}"))
    }

    /// Sends a request and waits for its response, answering server requests with `answer`.
    pub fn request_answering(
        &mut self,
        method: &str,
        params: Option<Value>,
        answer: impl FnMut(&Value) -> Result<Value, Value>,
    ) -> Exchange {
        let id = Value::from(self.next_id());
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        if let Some(params) = params {
            message["params"] = params;
        }
        self.send(&message);
        self.await_response(&id, answer)
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Option<Value>) {
        let mut message = json!({ "jsonrpc": "2.0", "method": method });
        if let Some(params) = params {
            message["params"] = params;
        }
        self.send(&message);
    }

    /// Every message written so far, by either side, in order.
    pub fn transcript(&self) -> &[(Side, Value)] {
        &self.transcript
    }

    /// Closes stdin and waits for the server to exit; panics if it does not within
    /// [`ANSWER_TIMEOUT`] or exits with a failure.
    pub fn shutdown(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            match self
                .child
                .try_wait()
                .expect("could not wait for the server")
            {
                Some(status) => {
                    assert!(status.success(), "the server exited with {status}");
                    return;
                }
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                None => {
                    panic!("the server did not exit within {ANSWER_TIMEOUT:?} of stdin closing")
                }
            }
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        if self.stdin.take().is_some() || !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
