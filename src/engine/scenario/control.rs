//! The engine's side of a scenario run from a window: one run at a time,
//! on the runtime, each step recorded in the journal and published as it
//! ends, a stop that ends the run at once. The running itself is
//! [`super::scenario::run_scenario`]'s; this module holds the stop token
//! and what a viewer shows, behind a lock taken once per step and once per
//! published view.

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::{
    Location, RunSettings, ScenarioFile, ScenarioOutcome, ScenarioRecorder, StepReport,
    run_scenario,
};
use crate::engine::net::target::Target;
use crate::engine::shared::Shared;

/// One scenario of the run, as far as it has got.
#[derive(Debug, Clone)]
pub struct ScenarioProgress {
    /// Its name.
    pub name: String,
    /// Where it starts in the file.
    pub location: Location,
    /// How it ended; `None` while it runs or before it starts.
    pub outcome: Option<ScenarioOutcome>,
    /// How long it took, in milliseconds, once it ended.
    pub duration_ms: f64,
    /// Each step that ended, in order.
    pub steps: Vec<StepReport>,
}

/// The scenario run as a viewer sees it: the one under way, or the last one.
#[derive(Debug, Clone, Default)]
pub struct ScenarioRunView {
    /// The file run.
    pub path: PathBuf,
    /// Whether the run is under way.
    pub running: bool,
    /// Whether a stop was asked.
    pub stopping: bool,
    /// Whether the run was stopped before its end.
    pub stopped: bool,
    /// Every scenario of the file, in order.
    pub scenarios: Vec<ScenarioProgress>,
}

impl ScenarioRunView {
    /// How many scenarios passed, failed and could not run, so far.
    pub fn counts(&self) -> ScenarioCounts {
        let count = |wanted| {
            self.scenarios
                .iter()
                .filter(|s| s.outcome == Some(wanted))
                .count()
        };
        ScenarioCounts {
            passed: count(ScenarioOutcome::Passed),
            failed: count(ScenarioOutcome::Failed),
            errors: count(ScenarioOutcome::Error),
        }
    }
}

/// Scenarios by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScenarioCounts {
    /// Every step passed.
    pub passed: usize,
    /// A step failed.
    pub failed: usize,
    /// A step could not run.
    pub errors: usize,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioRunEnd {
    /// Scenarios by outcome.
    pub counts: ScenarioCounts,
    /// Whether it was stopped before its end.
    pub stopped: bool,
}

/// Why a scenario run was not started.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ScenarioRefused {
    /// Another run is under way; one at a time.
    #[error("a scenario run is already under way: stop it first")]
    AlreadyRunning,
}

/// What the slot keeps.
#[derive(Debug, Default)]
struct SlotState {
    view: Option<Arc<ScenarioRunView>>,
    stop: Option<CancellationToken>,
}

impl SlotState {
    fn update(&mut self, change: impl FnOnce(&mut ScenarioRunView)) {
        let mut view = self.view.as_deref().cloned().unwrap_or_default();
        change(&mut view);
        self.view = Some(Arc::new(view));
    }
}

/// At most one scenario run, and what a viewer shows of it.
#[derive(Debug, Default)]
pub(crate) struct ScenarioSlot {
    state: Mutex<SlotState>,
}

impl ScenarioSlot {
    /// Claims the slot for `file`; refused while a run is under way.
    fn claim(&self, file: &ScenarioFile) -> Result<CancellationToken, ScenarioRefused> {
        let mut state = self.state.lock();
        if state.stop.is_some() {
            return Err(ScenarioRefused::AlreadyRunning);
        }
        let token = CancellationToken::new();
        state.stop = Some(token.clone());
        state.view = Some(Arc::new(ScenarioRunView {
            path: file.path.clone(),
            running: true,
            stopping: false,
            stopped: false,
            scenarios: file
                .scenarios
                .iter()
                .map(|s| ScenarioProgress {
                    name: s.name.clone(),
                    location: s.location,
                    outcome: None,
                    duration_ms: 0.0,
                    steps: Vec::new(),
                })
                .collect(),
        }));
        Ok(token)
    }

    /// Asks the run under way, if any, to stop.
    pub(crate) fn stop(&self) {
        let mut state = self.state.lock();
        if let Some(stop) = &state.stop {
            stop.cancel();
            state.update(|view| view.stopping = true);
        }
    }

    /// The run as a viewer sees it (none before the first).
    pub(crate) fn view(&self) -> Option<Arc<ScenarioRunView>> {
        self.state.lock().view.clone()
    }

    fn step_ended(&self, index: usize, step: &StepReport) {
        self.state.lock().update(|view| {
            if let Some(scenario) = view.scenarios.get_mut(index) {
                scenario.steps.push(step.clone());
            }
        });
    }

    fn scenario_ended(&self, index: usize, outcome: ScenarioOutcome, duration_ms: f64) {
        self.state.lock().update(|view| {
            if let Some(scenario) = view.scenarios.get_mut(index) {
                scenario.outcome = Some(outcome);
                scenario.duration_ms = duration_ms;
            }
        });
    }

    fn finish(&self, stopped: bool) -> ScenarioRunEnd {
        let mut state = self.state.lock();
        state.stop = None;
        state.update(|view| {
            view.running = false;
            view.stopping = false;
            view.stopped = stopped;
        });
        ScenarioRunEnd {
            counts: state.view.as_ref().map(|v| v.counts()).unwrap_or_default(),
            stopped,
        }
    }

    /// Starts running `file` against `target` (or the file's own targets),
    /// its traffic recorded into `shared`'s journal; hands back the run to
    /// spawn, which ends with how the run ended.
    pub(crate) fn start(
        self: &Arc<Self>,
        file: ScenarioFile,
        target: Option<Target>,
        shared: &Arc<Shared>,
    ) -> Result<impl Future<Output = ScenarioRunEnd> + Send + 'static, ScenarioRefused> {
        let token = self.claim(&file)?;
        shared.mark_changed();
        let settings = RunSettings {
            target,
            recorder: Some(ScenarioRecorder::new(shared.clone())),
            ..RunSettings::default()
        };
        let (slot, shared) = (self.clone(), shared.clone());
        Ok(async move {
            let mut stopped = false;
            for (index, scenario) in file.scenarios.iter().enumerate() {
                let mut on_step = |step: &StepReport| {
                    slot.step_ended(index, step);
                    shared.mark_changed();
                };
                tokio::select! {
                    report = run_scenario(scenario, &settings, &mut on_step) => {
                        slot.scenario_ended(index, report.outcome, report.duration_ms);
                    }
                    () = token.cancelled() => {
                        stopped = true;
                        break;
                    }
                }
                shared.mark_changed();
            }
            slot.finish(stopped)
        })
    }
}
