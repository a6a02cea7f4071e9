//! Where a proxy's backend is and how to reach it: a command to run (stdio), a URL
//! (streamable HTTP, falling back to HTTP+SSE), or any transport a closure opens.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue};
use turret_core::Transport;
use turret_transport::http_client::{LegacySseClient, StreamableHttpClient};
use turret_transport::{ChildHandle, ChildProcess};

type OpenFn = Arc<dyn Fn() -> BoxFuture<'static, io::Result<Transport>> + Send + Sync>;

#[derive(Clone)]
enum Target {
    Command {
        program: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
    },
    Url {
        url: String,
        headers: Vec<(HeaderName, HeaderValue)>,
        /// The 2024-11-05 HTTP+SSE transport only (no streamable HTTP attempt).
        legacy: bool,
    },
    Custom(OpenFn),
}

/// How to reach a backend server. Each connection (see
/// [`SessionPolicy`](crate::SessionPolicy)) opens it anew: a command is started again, a URL
/// gets a new session.
///
/// ```
/// use turret_proxy::Backend;
///
/// let local = Backend::command("python").arg("server.py").env("DEBUG", "1");
/// let remote = Backend::url("http://127.0.0.1:8000/mcp").header("x-api-key", "secret")?;
/// assert_eq!(local.to_string(), "python server.py");
/// assert_eq!(remote.to_string(), "http://127.0.0.1:8000/mcp");
/// # Ok::<(), turret_proxy::BackendError>(())
/// ```
#[derive(Clone)]
pub struct Backend {
    target: Target,
}

/// A backend definition that cannot work (a header that is not valid HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError(String);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

impl Backend {
    /// A server run as a child process, spoken to over its stdin and stdout.
    pub fn command(program: impl Into<String>) -> Self {
        Self {
            target: Target::Command {
                program: program.into(),
                args: Vec::new(),
                env: BTreeMap::new(),
                cwd: None,
            },
        }
    }

    /// A server at a streamable HTTP endpoint (an HTTP+SSE server is detected and used too).
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            target: Target::Url {
                url: url.into(),
                headers: Vec::new(),
                legacy: false,
            },
        }
    }

    /// A server speaking only the 2024-11-05 HTTP+SSE transport, at its SSE endpoint.
    pub fn legacy_sse(url: impl Into<String>) -> Self {
        Self {
            target: Target::Url {
                url: url.into(),
                headers: Vec::new(),
                legacy: true,
            },
        }
    }

    /// A server reached over whatever transport `open` returns, once per connection.
    pub fn transport<F, Fut>(open: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<Transport>> + Send + 'static,
    {
        Self {
            target: Target::Custom(Arc::new(move || Box::pin(open()))),
        }
    }

    /// Adds an argument to the command (ignored for other backends).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        if let Target::Command { args, .. } = &mut self.target {
            args.push(arg.into());
        }
        self
    }

    /// Adds arguments to the command (ignored for other backends).
    pub fn args<I, S>(mut self, more: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Target::Command { args, .. } = &mut self.target {
            args.extend(more.into_iter().map(Into::into));
        }
        self
    }

    /// Sets an environment variable of the command (ignored for other backends).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if let Target::Command { env, .. } = &mut self.target {
            env.insert(key.into(), value.into());
        }
        self
    }

    /// The command's working directory (ignored for other backends).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        if let Target::Command { cwd, .. } = &mut self.target {
            *cwd = Some(dir.into());
        }
        self
    }

    /// Adds a header to every HTTP request (ignored for other backends).
    ///
    /// # Errors
    /// If the name or value is not valid in HTTP.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BackendError> {
        let name = HeaderName::try_from(name)
            .map_err(|_| BackendError(format!("{name:?} is not a valid HTTP header name")))?;
        let value = HeaderValue::try_from(value)
            .map_err(|_| BackendError(format!("the value of header {name} is not valid HTTP")))?;
        if let Target::Url { headers, .. } = &mut self.target {
            headers.push((name, value));
        }
        Ok(self)
    }

    /// Opens one connection. The child process, if any, comes with it.
    pub(crate) async fn open(&self) -> io::Result<(Transport, Option<ChildHandle>)> {
        match &self.target {
            Target::Command {
                program,
                args,
                env,
                cwd,
            } => {
                let mut command = ChildProcess::new(program).args(args);
                for (key, value) in env {
                    command = command.env(key, value);
                }
                if let Some(dir) = cwd {
                    command = command.current_dir(dir);
                }
                let (transport, child) = command.spawn()?;
                Ok((transport, Some(child)))
            }
            Target::Url {
                url,
                headers,
                legacy: false,
            } => {
                let mut client = StreamableHttpClient::new(url);
                for (name, value) in headers {
                    client = client.header(name.clone(), value.clone());
                }
                Ok((client.connect()?, None))
            }
            Target::Url {
                url,
                headers,
                legacy: true,
            } => {
                let mut client = LegacySseClient::new(url);
                for (name, value) in headers {
                    client = client.header(name.clone(), value.clone());
                }
                Ok((client.connect().await?, None))
            }
            Target::Custom(open) => Ok((open().await?, None)),
        }
    }
}

impl fmt::Display for Backend {
    /// The command line or the URL (never header values, which may be credentials).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Command { program, args, .. } => {
                f.write_str(program)?;
                args.iter().try_for_each(|a| write!(f, " {a}"))
            }
            Target::Url { url, .. } => f.write_str(url),
            Target::Custom(_) => f.write_str("(custom transport)"),
        }
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Backend").field(&self.to_string()).finish()
    }
}
