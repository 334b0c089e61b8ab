//! CPU time of one thread (user and system), and the time it spent ready to
//! run but waiting for a core, read from the scheduler's per-thread
//! statistics on Linux, by any thread; elsewhere not measured.
//!
//! The scheduler's file brings a running thread's CPU time up to date only
//! at a scheduler tick (every 4 ms at 250 Hz), so a thread timing its own
//! short work (a window's frame) reads its CPU clock instead, which the
//! kernel brings up to date on every read.

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
        Some(self.times()?.on_cpu)
    }

    /// The thread's CPU time and run-queue wait so far; `None` once it has
    /// ended.
    pub fn times(&self) -> Option<SchedTimes> {
        let text = std::fs::read_to_string(&self.schedstat).ok()?;
        let mut fields = text.split_whitespace().map(str::parse::<u64>);
        let on_cpu = fields.next()?.ok()?;
        let waiting = fields.next()?.ok()?;
        Some(SchedTimes {
            on_cpu: Duration::from_nanos(on_cpu),
            waiting: Duration::from_nanos(waiting),
        })
    }
}

/// Where a thread's time went, as the scheduler counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedTimes {
    /// Time running on a core (user and system).
    pub on_cpu: Duration,
    /// Time ready to run but waiting in a core's run queue for another
    /// thread to give the core up.
    pub waiting: Duration,
}

/// The calling thread's CPU time so far, to the nanosecond, where measured.
#[cfg(target_os = "linux")]
pub fn current_thread_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (status == 0).then(|| {
        Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    })
}

/// Not measured off Linux.
#[cfg(not(target_os = "linux"))]
pub fn current_thread_time() -> Option<Duration> {
    None
}

/// The calling thread's CPU time (to the nanosecond) and run-queue wait so
/// far, where measured. The wait is brought up to date each time the thread
/// is given a core, so the calling thread, running, reads all of it.
pub fn current_thread_times() -> Option<SchedTimes> {
    let waiting = ThreadCpu::current()?.times()?.waiting;
    Some(SchedTimes {
        on_cpu: current_thread_time()?,
        waiting,
    })
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

    #[test]
    fn the_calling_threads_cpu_time_moves_in_small_steps() {
        // Read back to back while spinning, the clock moves by the little
        // work between two reads (a preemption in between does not move a
        // CPU clock); a clock brought up to date only at scheduler ticks
        // would move in steps of whole milliseconds.
        let first = current_thread_time().expect("measured on Linux");
        let mut last = first;
        let mut largest_step = Duration::ZERO;
        while last - first < Duration::from_millis(20) {
            let now = current_thread_time().expect("measured on Linux");
            largest_step = largest_step.max(now - last);
            last = now;
        }
        assert!(
            largest_step < Duration::from_micros(500),
            "the CPU clock moved by {largest_step:?} between two reads"
        );
    }

    #[test]
    fn a_thread_kept_off_its_core_shows_the_wait() {
        // Two busy threads on one core: each waits while the other runs.
        let core = core_affinity::get_core_ids()
            .and_then(|ids| ids.first().copied())
            .expect("a core");
        let spin = move || {
            assert!(core_affinity::set_for_current(core));
            let start = current_thread_times().expect("readable on Linux");
            let until = std::time::Instant::now() + Duration::from_millis(300);
            while std::time::Instant::now() < until {
                std::hint::spin_loop();
            }
            let end = current_thread_times().expect("readable on Linux");
            (end.on_cpu - start.on_cpu, end.waiting - start.waiting)
        };
        let other = std::thread::spawn(spin);
        let (on_cpu, waiting) = spin();
        let (other_on_cpu, other_waiting) = other.join().unwrap();
        // 300 ms of wall time each, shared: together they waited about as
        // long as one of them ran. A tenth of that is far from zero and
        // robust to how the scheduler split the core.
        assert!(
            waiting + other_waiting > Duration::from_millis(30),
            "waited {waiting:?} and {other_waiting:?} beside {on_cpu:?} and {other_on_cpu:?} on one core"
        );
    }
}
