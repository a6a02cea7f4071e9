//! [`run`]: serve a server the way FastMCP's `mcp.run()` does, on stdio or, when the command
//! line asks, on streamable HTTP; so an example's `main` is one line.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use turret_core::McpService;

use crate::streamable_http::{serve, StreamableHttpService};

/// Where [`run`] serves. More places may come (`#[non_exhaustive]`): match with a `_` arm.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// Newline-delimited JSON on stdin/stdout, until stdin closes.
    Stdio,
    /// Streamable HTTP at `http://{addr}/mcp`, until Ctrl-C.
    Http(SocketAddr),
}

/// The command line `Listen::from_args` understands.
const USAGE: &str = "usage: [--http ADDR]  (stdio by default; --http 127.0.0.1:8000 serves \
                     streamable HTTP at http://127.0.0.1:8000/mcp)";

/// A command line [`Listen::from_args`] does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{USAGE}", self.0)
    }
}

impl std::error::Error for UsageError {}

impl Listen {
    /// Reads the arguments after the program name: none serves stdio; `--http ADDR` (or
    /// `--http=ADDR`) serves HTTP on a socket address such as `127.0.0.1:8000`.
    ///
    /// ```
    /// use turret_transport::Listen;
    ///
    /// assert_eq!(Listen::from_args(Vec::<String>::new()), Ok(Listen::Stdio));
    /// assert_eq!(
    ///     Listen::from_args(["--http", "127.0.0.1:8000"]),
    ///     Ok(Listen::Http("127.0.0.1:8000".parse().unwrap()))
    /// );
    /// assert_eq!(
    ///     Listen::from_args(["--http=[::1]:0"]),
    ///     Ok(Listen::Http("[::1]:0".parse().unwrap()))
    /// );
    /// assert!(Listen::from_args(["--http", "localhost"]).is_err()); // no name lookups
    /// assert!(Listen::from_args(["--http"]).is_err());
    /// assert!(Listen::from_args(["--verbose"]).is_err());
    /// ```
    pub fn from_args<I>(args: I) -> Result<Self, UsageError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let args: Vec<I::Item> = args.into_iter().collect();
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let addr = match args.as_slice() {
            [] => return Ok(Self::Stdio),
            ["--http", addr] => *addr,
            [flag] if flag.starts_with("--http=") => &flag["--http=".len()..],
            ["--http"] => return Err(UsageError("--http needs an address".into())),
            [other, ..] => return Err(UsageError(format!("unexpected argument `{other}`"))),
        };
        addr.parse().map(Self::Http).map_err(|_| {
            UsageError(format!(
                "`{addr}` is not a socket address (e.g. 127.0.0.1:8000)"
            ))
        })
    }

    /// Serves `service` here: on stdio until stdin closes, or on HTTP until Ctrl-C, after
    /// which open streams end and connections drain. The HTTP address goes to stderr.
    pub async fn serve<S: McpService>(self, service: S) -> io::Result<()> {
        match self {
            Self::Stdio => crate::serve_stdio(service).await,
            Self::Http(addr) => {
                let listener = tokio::net::TcpListener::bind(addr).await?;
                eprintln!("serving http://{}/mcp", listener.local_addr()?);
                let mcp = StreamableHttpService::new(service);
                let stop = mcp.clone();
                serve(listener, mcp, async move {
                    let _ = tokio::signal::ctrl_c().await;
                    stop.shutdown();
                })
                .await
            }
        }
    }
}

/// Serves `service` as the command line says (see [`Listen::from_args`]): stdio by default,
/// `--http ADDR` for streamable HTTP. A command line it does not understand exits the
/// process with status 2 and the usage on stderr, as a CLI parser would.
///
/// ```no_run
/// use turret_core::{tool_fn, Router};
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     turret_transport::run(Router::named("hello").tool("hi", tool_fn(|| async { "hi" }))).await
/// }
/// ```
pub async fn run<S: McpService>(service: S) -> io::Result<()> {
    match Listen::from_args(std::env::args().skip(1)) {
        Ok(listen) => listen.serve(service).await,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    }
}
