//! The flow's side lanes at a lower CPU priority.
//!
//! A flow's stages run side by side, more of them than a small machine has cores, and the
//! one that ends last is the synthesis lane of the largest core (yosys, then nextpnr beside
//! the power stage's Verilator build). The eval and co-simulation lane, the ASIC estimate and
//! the peers run at nice +10 ([`lower_this_thread`]), so that lane gets the cores it waits
//! for while they fill the rest; they lose no work (the scheduler gives them every cycle
//! nothing else wants), and the results are the same.

/// How much [`lower_this_thread`] raises the nice value.
pub const SIDE_NICE: i32 = 10;

/// Raises the calling thread's nice value by [`SIDE_NICE`] (at most to 19). On Linux the
/// priority is per thread, and the threads and processes it starts from then on inherit it:
/// a stage's tool runs (Verilator, make, the C++ compiler, yosys, the peers' encoders) follow.
/// Elsewhere it lowers nothing. A failure is ignored: the priority changes how soon, never
/// what, the flow computes.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let tid = rustix::thread::gettid();
        if let Ok(nice) = getpriority_process(Some(tid)) {
            let _ = setpriority_process(Some(tid), (nice + SIDE_NICE).min(19));
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value of a child process started by the calling thread.
    fn child_nice() -> i32 {
        // field 19 of /proc/PID/stat is the nice value (the command name, field 2, is `sh`)
        let out = std::process::Command::new("sh")
            .args(["-c", "cut -d' ' -f19 /proc/$$/stat"])
            .output()
            .expect("sh runs");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a nice value")
    }

    #[test]
    fn a_lowered_threads_children_run_at_a_lower_priority_and_the_others_do_not() {
        let base = child_nice();
        if base >= 19 {
            eprintln!("SKIPPED: the test already runs at nice {base}: nothing to lower");
            return;
        }
        let lowered = std::thread::spawn(|| {
            lower_this_thread();
            child_nice()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, (base + SIDE_NICE).min(19));
        // the thread's priority only: the calling thread's children keep theirs
        assert_eq!(child_nice(), base);
    }
}
