//! The engine's one load run: started and stopped by command, its progress
//! and a short history of it kept for the published view, and its result
//! (or why it failed) kept after it ends.
//!
//! The run itself has threads of its own (see `load`); this module only
//! holds its stop token and what a viewer shows, behind a lock taken once
//! a second by the run's progress and once per published view.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::{LoadError, LoadPhase, LoadProgress, LoadRecorder, LoadReport, LoadRun, LoadSpec};
use crate::engine::record::vocabulary::Capture;
use crate::engine::shared::Shared;

/// Seconds of history kept for the plots (an hour); older ones fall out.
pub const LOAD_HISTORY: usize = 3600;

/// How a run ended: its report, or why it could not run.
pub type LoadOutcome = Result<Arc<LoadReport>, Arc<LoadError>>;

/// One second of a run, for the plots.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoadSample {
    /// Seconds since the run began (warm-up included).
    pub second: f64,
    /// Replies per second over that second.
    pub frames_per_s: f64,
    /// 99th percentile round trip over that second, µs (0 in the warm-up).
    pub p99_us: u64,
}

/// The load run as a viewer sees it: the one under way, or the last one.
#[derive(Debug, Clone, Default)]
pub struct LoadView {
    /// Whether a run is under way.
    pub running: bool,
    /// Whether a stop was asked and the run is winding down.
    pub stopping: bool,
    /// The latest progress.
    pub progress: LoadProgress,
    /// One sample a second, oldest first, at most [`LOAD_HISTORY`].
    pub history: Arc<[LoadSample]>,
    /// How the run ended, once it has.
    pub outcome: Option<LoadOutcome>,
    /// How much of each frame the run's records keep.
    pub capture: Capture,
}

/// Why a load run was not started.
#[derive(Debug, thiserror::Error)]
pub enum LoadRefused {
    /// Another run is under way; one at a time.
    #[error("a load run is already under way: stop it first")]
    AlreadyRunning,
    /// The settings cannot run.
    #[error(transparent)]
    Invalid(#[from] LoadError),
}

/// What the slot keeps between progress reports.
#[derive(Debug, Default)]
struct SlotState {
    view: Option<Arc<LoadView>>,
    history: VecDeque<LoadSample>,
    stop: Option<CancellationToken>,
}

impl SlotState {
    /// Replaces the published view with `change` applied to a copy of it.
    fn update(&mut self, change: impl FnOnce(&mut LoadView)) {
        let mut view = self.view.as_deref().cloned().unwrap_or_default();
        change(&mut view);
        self.view = Some(Arc::new(view));
    }
}

/// At most one load run, and what a viewer shows of it.
#[derive(Debug, Default)]
pub(crate) struct LoadSlot {
    state: Arc<Mutex<SlotState>>,
}

impl LoadSlot {
    /// Starts `spec`, its connections recording into `shared`'s journal
    /// with `capture` (nothing for [`Capture::Off`]); refused while a run
    /// is under way. The run is handed back to be waited for.
    pub(crate) fn start(
        &self,
        mut spec: LoadSpec,
        capture: Capture,
        shared: &Arc<Shared>,
    ) -> Result<LoadRun, LoadRefused> {
        let mut state = self.state.lock();
        if state.stop.is_some() {
            return Err(LoadRefused::AlreadyRunning);
        }
        spec.recorder =
            (capture != Capture::Off).then(|| LoadRecorder::new(shared.clone(), capture));
        let on_progress = {
            let (state, shared) = (self.state.clone(), shared.clone());
            move |progress: &LoadProgress| {
                let mut state = state.lock();
                if progress.phase != LoadPhase::Finished {
                    if state.history.len() == LOAD_HISTORY {
                        state.history.pop_front();
                    }
                    state.history.push_back(LoadSample {
                        second: progress.elapsed.as_secs_f64(),
                        frames_per_s: progress.frames_per_s,
                        p99_us: progress.p99_us,
                    });
                }
                let history: Arc<[LoadSample]> = state.history.iter().copied().collect();
                state.update(|view| {
                    view.progress = progress.clone();
                    view.history = history;
                });
                drop(state);
                shared.mark_changed();
            }
        };
        let total = spec.warmup + spec.duration;
        let asked = spec.connections as u64;
        let run = LoadRun::start(spec, on_progress)?;
        state.stop = Some(run.stop_token());
        state.history.clear();
        state.view = Some(Arc::new(LoadView {
            running: true,
            stopping: false,
            progress: LoadProgress {
                total,
                asked,
                ..LoadProgress::default()
            },
            history: Arc::new([]),
            outcome: None,
            capture,
        }));
        drop(state);
        shared.mark_changed();
        Ok(run)
    }

    /// Asks the run under way, if any, to stop; what it measured so far is
    /// its result.
    pub(crate) fn stop(&self) {
        let mut state = self.state.lock();
        if let Some(stop) = &state.stop {
            stop.cancel();
            state.update(|view| view.stopping = true);
        }
    }

    /// Keeps how the run ended, frees the slot, and returns the outcome.
    pub(crate) fn finish(&self, result: Result<LoadReport, LoadError>) -> LoadOutcome {
        let outcome = result.map(Arc::new).map_err(Arc::new);
        let mut state = self.state.lock();
        state.stop = None;
        state.update(|view| {
            view.running = false;
            view.stopping = false;
            view.progress.phase = LoadPhase::Finished;
            view.outcome = Some(outcome.clone());
        });
        outcome
    }

    /// The run as a viewer sees it (none before the first).
    pub(crate) fn view(&self) -> Option<Arc<LoadView>> {
        self.state.lock().view.clone()
    }
}
