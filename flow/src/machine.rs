//! When and where a flow ran, for the report (`report.json` → `date_utc`, `machine`): the
//! results table written from a report ([`crate::results_table`]) names both.

use serde::{Deserialize, Serialize};

/// The machine a flow ran on, as Linux describes it (fields it cannot read are "unknown" or
/// 0, never guessed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model (`/proc/cpuinfo`).
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// Memory, GiB (`/proc/meminfo`).
    pub memory_gib: f64,
    /// Operating system (`/etc/os-release`, `PRETTY_NAME`).
    pub os: String,
    /// Load average over 1, 5 and 15 minutes when the run started (`/proc/loadavg`): other
    /// work on the machine slows every stage.
    pub load_average: [f64; 3],
}

impl Machine {
    /// This machine, now.
    pub fn this() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':').map(|x| x.1))
            .map_or("unknown".into(), |s| s.trim().to_string());
        let memory_gib = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|s| s.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / (1024.0 * 1024.0));
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map_or("unknown".into(), |s| s.trim_matches('"').to_string());
        let mut load_average = [0.0; 3];
        for (slot, x) in load_average
            .iter_mut()
            .zip(read("/proc/loadavg").split_whitespace())
        {
            *slot = x.parse().unwrap_or(0.0);
        }
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_gib,
            os,
            load_average,
        }
    }

    /// One line: "2 cores (CPU), 24 GiB, OS; load average 0.4 at the start".
    pub fn describe(&self) -> String {
        format!(
            "{} cores ({}), {:.0} GiB, {}; load average {:.1} at the start",
            self.cores, self.cpu, self.memory_gib, self.os, self.load_average[0]
        )
    }
}

/// The UTC date and time of `unix` seconds, ISO 8601 (`2026-12-07T05:31:24Z`).
pub fn utc(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Now, as [`utc`].
pub fn utc_now() -> String {
    utc(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_of_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400`: the leap day of 2000
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        // `date -u -d @1796621484`
        assert_eq!(utc(1_796_621_484), "2026-12-07T05:31:24Z");
        assert_eq!(utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn this_machine_is_read_from_linux() {
        let m = Machine::this();
        assert!(m.cores >= 1, "{m:?}");
        if std::path::Path::new("/proc/meminfo").exists() {
            assert!(m.memory_gib > 0.0, "{m:?}");
        }
        assert!(m.describe().contains(" cores ("));
    }
}
