//! Replicas behind a load balancer, all real processes on 127.0.0.1: a `redis-server`, the
//! replicas (any command that prints its URL), and nginx in front of them, round-robin
//! without stickiness. nginx names the replica that served each response in `X-Upstream`.
//!
//! Redis and nginx come from Debian's `redis-server` and `nginx` packages (`.ci/run`
//! installs them). Include with `#[path = "support/replicas.rs"] mod replicas;` next to
//! `support/fixture.rs` as `fixture`.
#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::HttpFixture;

/// A free port on 127.0.0.1, for programs that cannot be told to take port 0. The port is
/// released before the program binds it; callers retry on the rare collision.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

fn program(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!("{name} is not installed: install Debian's {package} package (.ci/run does)");
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {port}: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} did not listen on {port} within 10 s");
}

/// A `redis-server` without persistence, killed when dropped.
pub struct Redis {
    child: Child,
    /// `redis://127.0.0.1:PORT`.
    pub url: String,
}

impl Redis {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// A Redis on `port` (to bring one back where it was).
    pub fn start_on(port: u16) -> Self {
        let mut child = Command::new(program("redis-server", "redis-server"))
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server");
        wait_for_port(port, "redis-server", &mut child);
        Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }

    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx balancing `upstreams` round-robin, killed when dropped.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    /// `http://127.0.0.1:PORT/mcp`.
    pub url: String,
}

impl Nginx {
    /// Starts nginx in front of `upstreams` (`127.0.0.1:PORT` each).
    pub fn start(upstreams: &[String]) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("turret-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating nginx's directory");
        // Workers may run as another user (nginx started as root drops to `nobody`).
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777));
        let servers: String = upstreams
            .iter()
            .map(|u| format!("    server {u} max_fails=1 fail_timeout=2s;\n"))
            .collect();
        let d = dir.display();
        // Round-robin, no stickiness; SSE unbuffered; a failed connection to a dead replica
        // is retried on the next one (nginx does so for idempotent requests only: GET).
        let conf = format!(
            "worker_processes 1;\n\
             daemon off;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {d}/body;\n\
               proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n\
               scgi_temp_path {d}/scgi;\n\
               upstream replicas {{\n{servers}    keepalive 32;\n  }}\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 location / {{\n\
                   proxy_pass http://replicas;\n\
                   proxy_http_version 1.1;\n\
                   proxy_set_header Connection \"\";\n\
                   proxy_set_header Host $host;\n\
                   proxy_buffering off;\n\
                   proxy_request_buffering off;\n\
                   proxy_read_timeout 1h;\n\
                   proxy_next_upstream error timeout;\n\
                   proxy_connect_timeout 2s;\n\
                   add_header X-Upstream $upstream_addr always;\n\
                 }}\n\
               }}\n\
             }}\n"
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("writing nginx.conf");
        let mut child = Command::new(program("nginx", "nginx"))
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nginx");
        wait_for_port(port, "nginx", &mut child);
        Self {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}/mcp"),
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Redis, replicas and nginx in front of them.
pub struct Cluster {
    pub nginx: Nginx,
    /// Each replica, in the order nginx lists them.
    pub replicas: Vec<Option<HttpFixture>>,
    /// Each replica's `127.0.0.1:PORT`, as `X-Upstream` names it.
    pub addrs: Vec<String>,
    pub redis: Option<Redis>,
}

impl Cluster {
    /// `count` replicas made by `replica` (given the Redis URL, if `redis`), each printing
    /// `prefix` and its URL, and nginx in front of them.
    pub fn start(
        count: usize,
        redis: bool,
        prefix: &str,
        replica: impl Fn(Option<&str>) -> Command,
    ) -> Self {
        let redis = redis.then(Redis::start);
        let replicas: Vec<HttpFixture> = (0..count)
            .map(|_| {
                HttpFixture::spawn(&mut replica(redis.as_ref().map(|r| r.url.as_str())), prefix)
            })
            .collect();
        let addrs: Vec<String> = replicas
            .iter()
            .map(|r| {
                r.url
                    .strip_prefix("http://")
                    .and_then(|rest| rest.split('/').next())
                    .expect("a replica URL http://ADDR/…")
                    .to_owned()
            })
            .collect();
        let nginx = Nginx::start(&addrs);
        Self {
            nginx,
            replicas: replicas.into_iter().map(Some).collect(),
            addrs,
            redis,
        }
    }

    /// Kills replica `index` (SIGKILL: no goodbye to anyone).
    pub fn kill(&mut self, index: usize) {
        drop(self.replicas[index].take());
    }

    /// The index of the replica at `addr` (an `X-Upstream` value).
    pub fn index_of(&self, addr: &str) -> usize {
        self.addrs
            .iter()
            .position(|a| a == addr)
            .unwrap_or_else(|| panic!("{addr} is none of the replicas {:?}", self.addrs))
    }
}
