//! The one contract every panel has: `ui(&mut self, ui, cx)` with a
//! [`FrameCx`], what the panel may read and change this frame, and where
//! its commands go. Modelled on rerun's `ViewerContext` and egui_demo_lib's
//! `View`: no panel holds the engine, and none reads anything the window
//! did not hand it.

use egui::Ui;

use crate::app::panels::held_edit::HeldEdit;
use crate::app::profiles::ProfileLibrary;
use crate::app::records::frames_view::Source;
use crate::app::settings::Settings;
use crate::engine::{Command, CommandOutcome, Engine, EngineView, JournalSnapshot, SendTarget};

/// What a panel gets each frame.
pub struct FrameCx<'a> {
    /// The engine's published view, as of this frame.
    pub view: &'a EngineView,
    /// The live journal, as of this frame (read with no lock held).
    pub journal: &'a JournalSnapshot,
    /// The records the table shows: the live journal, or a log opened from
    /// a file (as rerun's viewer context carries the recording shown).
    pub shown: Source<'a>,
    /// The settings, remembered between runs (the time zone times are
    /// shown in among them).
    pub settings: &'a mut Settings,
    /// The profile files opened, which the client settings' profile may name.
    pub profiles: &'a ProfileLibrary,
    /// Which connections Send goes to (the client list picks, the composer sends).
    pub send_target: &'a mut SendTarget,
    /// Whether the connections Send goes to speak raw bytes.
    pub raw_clients: bool,
    /// The held frame being edited in the composer, if one is.
    pub editing: Option<&'a HeldEdit>,
    /// Where commands for the engine go.
    pub outbox: Outbox<'a>,
}

/// Where a panel's commands go: the engine's command entry and nothing else
/// of it. A queued command answers `Queued` (or `Busy`, when the engine's
/// queue is full); an immediate one its outcome at once (a send's report, a
/// held frame's release refused).
#[derive(Clone, Copy)]
pub struct Outbox<'a> {
    engine: &'a Engine,
}

impl<'a> Outbox<'a> {
    /// The outbox of this engine.
    pub fn new(engine: &'a Engine) -> Self {
        Self { engine }
    }

    /// Posts a command.
    pub fn post(&self, command: Command) -> CommandOutcome {
        self.engine.command(command)
    }
}

/// A panel: its own transient state, drawn with the frame's context. What
/// it needs of the window beyond engine commands (a file dialog, a Follow
/// window, a held frame to edit) it returns as its `Action`.
pub trait Panel {
    /// What the panel asks of the window; `Infallible` for a panel that
    /// asks nothing.
    type Action;

    /// Draws the panel for this frame.
    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<Self::Action>;
}
