//! CPU and memory of a process, sampled from `/proc` (Linux).

use serde::Serialize;
use std::time::Instant;

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// User + system CPU time of `pid` in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // fields after the command name, which is in parentheses and may hold spaces
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks_per_second())
}

/// Resident memory of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU use of a process over a measured interval.
pub struct CpuMeter {
    pid: u32,
    start_cpu: f64,
    start: Instant,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Usage {
    /// Average CPU over the interval, in cores (1.0 = one core busy).
    pub cpu_cores: f64,
    pub rss_mib: f64,
}

impl CpuMeter {
    pub fn start(pid: u32) -> CpuMeter {
        CpuMeter {
            pid,
            start_cpu: cpu_seconds(pid).unwrap_or(0.0),
            start: Instant::now(),
        }
    }

    pub fn stop(&self) -> Usage {
        let cpu = cpu_seconds(self.pid).unwrap_or(self.start_cpu) - self.start_cpu;
        Usage {
            cpu_cores: cpu / self.start.elapsed().as_secs_f64().max(1e-9),
            rss_mib: rss_kib(self.pid).unwrap_or(0) as f64 / 1024.0,
        }
    }
}

/// Raises this process's open-file limit (idle runs hold tens of thousands of sockets, and the
/// server started from here inherits it): to 1M when allowed (root), else to the hard limit.
pub fn raise_nofile_limit() -> u64 {
    const WANTED: libc::rlim_t = 1 << 20;
    // SAFETY: getrlimit/setrlimit with a valid, initialised struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        let high = libc::rlimit {
            rlim_cur: WANTED.max(limit.rlim_max),
            rlim_max: WANTED.max(limit.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &high) == 0 {
            return high.rlim_cur;
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        limit.rlim_cur
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(cpu_seconds(me).is_some());
        assert!(rss_kib(me).unwrap() > 0);
    }
}
