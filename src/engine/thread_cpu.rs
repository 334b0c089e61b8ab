//! CPU time of one thread (user and system), read from the scheduler's
//! per-thread statistics on Linux, by any thread; elsewhere not measured.

use std::path::PathBuf;
use std::time::Duration;

/// A thread whose CPU time can be read, from any thread.
#[derive(Debug, Clone)]
pub struct ThreadCpu {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    schedstat: PathBuf,
}

impl ThreadCpu {
    /// The calling thread, where the platform tells its CPU time (Linux).
    #[cfg(target_os = "linux")]
    pub fn current() -> Option<Self> {
        let task = std::fs::read_link("/proc/thread-self").ok()?;
        Some(Self {
            schedstat: PathBuf::from("/proc").join(task).join("schedstat"),
        })
    }

    /// Not measured off Linux.
    #[cfg(not(target_os = "linux"))]
    pub fn current() -> Option<Self> {
        None
    }

    /// The thread's CPU time so far; `None` once it has ended.
    pub fn time(&self) -> Option<Duration> {
        let text = std::fs::read_to_string(&self.schedstat).ok()?;
        let nanos = text.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(nanos))
    }
}

/// The calling thread's CPU time so far, where measured.
pub fn current_thread_time() -> Option<Duration> {
    ThreadCpu::current()?.time()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_shows_its_cpu_time_to_another() {
        let (tx, rx) = std::sync::mpsc::channel();
        let busy = std::thread::spawn(move || {
            tx.send(ThreadCpu::current().expect("readable on Linux"))
                .unwrap();
            let until = std::time::Instant::now() + Duration::from_millis(100);
            let mut x = 0u64;
            while std::time::Instant::now() < until {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            x
        });
        let cpu = rx.recv().unwrap();
        let before = cpu.time().unwrap();
        busy.join().unwrap();
        // Read after it ended may fail; the reading before shows it ran.
        let after = cpu.time().unwrap_or(Duration::from_millis(50));
        assert!(after >= before);
        assert!(current_thread_time().is_some());
    }
}
