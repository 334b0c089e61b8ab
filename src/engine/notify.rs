//! The viewer's notifier, called on a thread of its own.
//!
//! A window's notifier asks egui for a repaint, which takes the lock the UI
//! thread holds through much of a frame, and longer when that thread waits
//! for its core. Called on a runtime worker, it stalled every socket on
//! that worker until the frame was done; on this thread it stalls nothing
//! the engine needs.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

use parking_lot::Mutex;

/// A function the engine calls when something a viewer shows has changed.
pub type Notifier = Arc<dyn Fn() + Send + Sync>;

/// Wakes the notifier's thread. The thread ends when every waker is gone.
#[derive(Clone)]
pub(crate) struct NotifyWaker {
    notifier: Arc<Mutex<Option<Notifier>>>,
    wake: SyncSender<()>,
}

impl NotifyWaker {
    /// Starts the notifier's thread, with no notifier set yet.
    pub(crate) fn start() -> std::io::Result<Self> {
        let notifier: Arc<Mutex<Option<Notifier>>> = Arc::default();
        // One pending wake is enough: the notifier reads the latest state.
        let (wake, woken) = mpsc::sync_channel(1);
        let called = notifier.clone();
        std::thread::Builder::new()
            .name("framescope-notify".into())
            .spawn(move || call_when_woken(&called, &woken))?;
        Ok(Self { notifier, wake })
    }

    /// Sets the function called when woken.
    pub(crate) fn set(&self, notifier: Notifier) {
        *self.notifier.lock() = Some(notifier);
    }

    /// Has the notifier called soon, if one is set; never waits.
    pub(crate) fn wake(&self) {
        if self.notifier.lock().is_none() {
            // Headless: no thread switch for nobody.
            return;
        }
        match self.wake.try_send(()) {
            // Full: a wake is pending and covers this change too.
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::warn!(
                    "the notifier's thread has ended: viewers are no longer told of changes"
                );
            }
        }
    }
}

/// The thread's loop: calls the notifier, if one is set, once per wake.
fn call_when_woken(notifier: &Mutex<Option<Notifier>>, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        let current = notifier.lock().clone();
        if let Some(notify) = current {
            notify();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn a_blocked_notifier_does_not_block_the_waker() {
        let waker = NotifyWaker::start().unwrap();
        let gate = Arc::new(std::sync::Mutex::new(()));
        let calls = Arc::new(AtomicUsize::new(0));
        let held = gate.lock().unwrap();
        {
            let gate = gate.clone();
            let calls = calls.clone();
            waker.set(Arc::new(move || {
                let _pass = gate.lock().unwrap();
                calls.fetch_add(1, Ordering::SeqCst);
            }));
        }
        // The notifier blocks on the gate; wakes meanwhile return at once.
        let started = Instant::now();
        for _ in 0..1_000 {
            waker.wake();
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(held);
        let deadline = Instant::now() + Duration::from_secs(5);
        while calls.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the notifier was never called");
            std::thread::sleep(Duration::from_millis(1));
        }
        // The thousand wakes collapsed into at most two calls: the one
        // that was blocked, and one pending.
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            calls.load(Ordering::SeqCst) <= 2,
            "{} calls",
            calls.load(Ordering::SeqCst)
        );
    }
}
