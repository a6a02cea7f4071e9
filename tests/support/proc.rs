//! What a process holds, from `/proc` (Linux): resident memory and open file descriptors.
//!
//! Include with `#[path = "support/proc.rs"] mod proc;`.
#![allow(dead_code, unreachable_pub)]

/// A process: `Pid::Own` for the test itself, or a child's id.
#[derive(Debug, Clone, Copy)]
pub enum Pid {
    Own,
    Of(u32),
}

impl Pid {
    fn dir(self) -> String {
        match self {
            Pid::Own => "/proc/self".to_owned(),
            Pid::Of(pid) => format!("/proc/{pid}"),
        }
    }

    /// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`…), in bytes.
    pub fn status_bytes(self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("{}/status", self.dir()))
            .unwrap_or_else(|e| panic!("reading {}/status: {e}", self.dir()));
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .unwrap_or_else(|| panic!("no {field} in {}/status", self.dir()))
    }

    /// Resident memory now, in bytes.
    pub fn rss(self) -> u64 {
        self.status_bytes("VmRSS")
    }

    /// The most resident memory the process ever had, in bytes.
    pub fn peak_rss(self) -> u64 {
        self.status_bytes("VmHWM")
    }

    /// How many file descriptors are open.
    pub fn open_fds(self) -> usize {
        std::fs::read_dir(format!("{}/fd", self.dir()))
            .unwrap_or_else(|e| panic!("listing {}/fd: {e}", self.dir()))
            .count()
    }

    /// Whether the process is gone (or a zombie waiting to be reaped: it holds nothing).
    pub fn is_gone(self) -> bool {
        match std::fs::read_to_string(format!("{}/status", self.dir())) {
            Err(_) => true,
            Ok(status) => status
                .lines()
                .any(|l| l.starts_with("State:") && l.contains('Z')),
        }
    }
}

/// Bytes as MiB, for reports.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
