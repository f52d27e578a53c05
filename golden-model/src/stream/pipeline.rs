//! The worker pipeline of the streamed layout: blocks coded on several threads, handed on
//! in order, with a bounded amount of memory in flight.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Mutex};

use super::MAX_BYTES_IN_FLIGHT;
use crate::Error;

/// Runs `work` on the jobs `produce` yields, on `workers` threads, and hands the results to
/// `consume` in the jobs' order. At most `workers + 2` jobs, and (beyond the first) at most
/// [`MAX_BYTES_IN_FLIGHT`] of their declared weight, are between `produce` and `consume` at
/// any time: what bounds the memory.
pub(super) fn pipeline<J: Send, R: Send>(
    workers: usize,
    mut produce: impl FnMut() -> Result<Option<(J, usize)>, Error>,
    work: impl Fn(J) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), Error>,
) -> Result<(), Error> {
    if workers <= 1 {
        while let Some((job, _)) = produce()? {
            consume(work(job))?;
        }
        return Ok(());
    }
    let max_jobs = workers + 2;
    let (job_tx, job_rx) = mpsc::channel::<(usize, J)>();
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::channel::<(usize, std::thread::Result<R>)>();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (job_rx, res_tx, work) = (&job_rx, res_tx.clone(), &work);
            s.spawn(move || loop {
                let next = job_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((i, job))) = next else { break };
                let r = catch_unwind(AssertUnwindSafe(|| work(job)));
                if res_tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(res_tx);
        let mut run = || -> Result<(), Error> {
            let mut pending = BTreeMap::new();
            let mut weights = VecDeque::new();
            let (mut sent, mut done, mut bytes, mut ended) = (0usize, 0usize, 0usize, false);
            loop {
                while !ended
                    && (sent == done || (sent - done < max_jobs && bytes < MAX_BYTES_IN_FLIGHT))
                {
                    match produce()? {
                        Some((job, w)) => {
                            job_tx
                                .send((sent, job))
                                .expect("the workers live as long as the jobs");
                            weights.push_back(w);
                            bytes += w;
                            sent += 1;
                        }
                        None => ended = true,
                    }
                }
                if done == sent {
                    return Ok(());
                }
                let (i, r) = res_rx.recv().expect("a worker answers every job");
                pending.insert(i, r);
                while let Some(r) = pending.remove(&done) {
                    bytes -= weights.pop_front().unwrap_or(0);
                    done += 1;
                    match r {
                        Ok(r) => consume(r)?,
                        Err(panic) => resume_unwind(panic),
                    }
                }
            }
        };
        let r = run();
        drop(job_tx);
        r
    })
}
