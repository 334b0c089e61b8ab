//! The relay's hub: every relayed conversation's writers and the queue of
//! held frames, behind one short lock.
//!
//! A conversation's two reading tasks hand each frame to the hub, which
//! either queues it for the writer of the other leg or, while that
//! direction is held, keeps it until a viewer (or the time-out) decides.
//! Everything that puts bytes into a writer's queue does it under the
//! hub's lock, so frames leave in the order they were let go.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::super::recorder::Recorder;
use super::{
    ConversationState, ConversationView, HeldFate, HeldView, HoldSettings, InterceptError,
    RelayView, Release, Toward,
};
use crate::engine::record::journal::now_us;
use crate::engine::record::vocabulary::{CloseReason, Direction, RecordKind};

/// Closed conversations kept for viewers after they end.
const CLOSED_KEPT: usize = 1000;
/// How often, at most, the view is rebuilt for counts alone (a frame
/// forwarded); a conversation or a held frame coming or going shows at once.
const COUNTS_REFRESH: Duration = Duration::from_millis(250);

/// What a writer task is handed.
#[derive(Debug)]
pub(super) enum Outgoing {
    /// Bytes to send on; the permit, if any, is the reader's room back.
    Data(Bytes, Option<OwnedSemaphorePermit>),
    /// The sending side closed: write what is queued, then close this side.
    Shutdown,
}

/// The queue of one writer task.
pub(super) type Writer = mpsc::UnboundedSender<Outgoing>;

/// A frame held by intercept.
#[derive(Debug)]
struct Held {
    id: u64,
    conversation: u32,
    toward: Toward,
    seq: Option<u64>,
    bytes: Bytes,
    held_at: Instant,
    held_at_us: u64,
    /// Kept past the time-out (while someone edits it).
    pinned: bool,
    permit: Option<OwnedSemaphorePermit>,
}

/// One conversation, with what it takes to write to it and note on it.
#[derive(Debug)]
struct Live {
    view: ConversationView,
    kind: RecordKind,
    /// The writers toward the server and toward the client, while open.
    writers: Option<[Writer; 2]>,
    client_leg: Recorder,
    upstream_leg: Option<Recorder>,
}

impl Live {
    /// The leg a frame going `toward` arrived on.
    fn source(&self, toward: Toward) -> Option<&Recorder> {
        match toward {
            Toward::Server => Some(&self.client_leg),
            Toward::Client => self.upstream_leg.as_ref(),
        }
    }

    /// The leg a frame going `toward` leaves on.
    fn destination(&self, toward: Toward) -> Option<&Recorder> {
        self.source(toward.reverse())
    }

    /// Queues `bytes` for the writer toward `toward`; false if it is gone.
    fn send_on(
        &mut self,
        toward: Toward,
        bytes: Bytes,
        permit: Option<OwnedSemaphorePermit>,
    ) -> bool {
        let Some(writers) = &self.writers else {
            return false;
        };
        let sent = writers[toward.index()]
            .send(Outgoing::Data(bytes, permit))
            .is_ok();
        if sent {
            self.view.forwarded[toward.index()] += 1;
        }
        sent
    }

    /// A note on the leg the frame arrived on.
    fn note(&self, toward: Toward, text: &str) {
        if let Some(leg) = self.source(toward) {
            leg.note(Direction::Received, text);
        }
    }
}

#[derive(Debug, Default)]
struct State {
    hold: HoldSettings,
    conversations: BTreeMap<u32, Live>,
    held: VecDeque<Held>,
    next_held: u64,
    /// Closed conversations, oldest first, to forget beyond `CLOSED_KEPT`.
    closed: VecDeque<u32>,
    /// Bumped when something other than a count changed.
    version: u64,
    /// The last view built: the version it showed, and when.
    published: Option<(u64, Instant, Arc<RelayView>)>,
}

impl State {
    fn changed(&mut self) {
        self.version += 1;
    }

    /// Sends a held frame on (`bytes` in its place, when edited), or notes
    /// that it could not be.
    fn forward(&mut self, held: Held, bytes: Option<Bytes>, why: &str) {
        let Some(live) = self.conversations.get_mut(&held.conversation) else {
            return;
        };
        let edited = bytes.is_some();
        let bytes = bytes.unwrap_or(held.bytes);
        let len = bytes.len();
        if live.send_on(held.toward, bytes, held.permit) {
            if edited || !why.is_empty() {
                let what = if edited {
                    "edited and forwarded"
                } else {
                    "forwarded"
                };
                let text = format!("held frame #{} {what} ({len} bytes){why}", held.id);
                live.note(held.toward, &text);
            }
        } else {
            let text = format!(
                "held frame #{} discarded: the conversation no longer sends {}",
                held.id, held.toward
            );
            live.note(held.toward, &text);
        }
    }

    /// Notes that a held frame was dropped.
    fn drop_held(&mut self, held: Held, why: &str) {
        if let Some(live) = self.conversations.get(&held.conversation) {
            live.note(
                held.toward,
                &format!("held frame #{} dropped{why}", held.id),
            );
        }
    }

    /// Takes out every held frame that `take` picks, oldest first.
    fn take_held(&mut self, take: impl Fn(&Held) -> bool) -> Vec<Held> {
        let mut taken = Vec::new();
        for held in std::mem::take(&mut self.held) {
            if take(&held) {
                taken.push(held);
            } else {
                self.held.push_back(held);
            }
        }
        taken
    }

    /// Forgets the oldest closed conversations beyond what is kept.
    fn prune_closed(&mut self) {
        while self.closed.len() > CLOSED_KEPT {
            if let Some(id) = self.closed.pop_front() {
                self.conversations.remove(&id);
            }
        }
    }
}

/// Every relayed conversation and the held frames, shared by the relay's
/// tasks and the engine's commands.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    state: Mutex<State>,
}

impl Hub {
    /// A conversation began: its client leg is open and the target is
    /// being reached.
    pub(super) fn register(&self, client_leg: &Recorder, upstream_conn: u32, kind: RecordKind) {
        let id = client_leg.conn();
        let mut state = self.state.lock();
        state.conversations.insert(
            id,
            Live {
                view: ConversationView {
                    id,
                    client_conn: id,
                    upstream_conn,
                    client: client_leg.peer(),
                    upstream: None,
                    state: ConversationState::Connecting,
                    forwarded: [0, 0],
                },
                kind,
                writers: None,
                client_leg: client_leg.clone(),
                upstream_leg: None,
            },
        );
        state.changed();
    }

    /// The target was reached: frames can flow.
    pub(super) fn connected(&self, id: u32, upstream_leg: &Recorder, writers: [Writer; 2]) {
        let mut state = self.state.lock();
        if let Some(live) = state.conversations.get_mut(&id) {
            live.view.upstream = Some(upstream_leg.peer());
            live.view.state = ConversationState::Open;
            live.upstream_leg = Some(upstream_leg.clone());
            live.writers = Some(writers);
        }
        state.changed();
    }

    /// A frame arrived going `toward`: held if that direction is held, or
    /// queued for the other leg at once.
    pub(super) fn offer(
        &self,
        id: u32,
        toward: Toward,
        bytes: Bytes,
        seq: Option<u64>,
        permit: Option<OwnedSemaphorePermit>,
    ) {
        let mut state = self.state.lock();
        if state.hold.holds(toward) {
            let held_id = state.next_held + 1;
            state.next_held = held_id;
            state.held.push_back(Held {
                id: held_id,
                conversation: id,
                toward,
                seq,
                bytes,
                held_at: Instant::now(),
                held_at_us: now_us(),
                pinned: false,
                permit,
            });
            state.changed();
        } else if let Some(live) = state.conversations.get_mut(&id) {
            // Only a count changes: the view picks it up within its refresh.
            live.send_on(toward, bytes, permit);
        }
    }

    /// The side sending `toward` closed: its held frames go on first.
    pub(super) fn release_direction(&self, id: u32, toward: Toward) {
        let mut state = self.state.lock();
        let released = state.take_held(|h| h.conversation == id && h.toward == toward);
        for held in released {
            state.forward(held, None, ": its sender closed its side");
        }
        state.changed();
    }

    /// The conversation is over: frames still held for it are discarded.
    pub(super) fn close(&self, id: u32, reason: &CloseReason) {
        let mut state = self.state.lock();
        let discarded = state.take_held(|h| h.conversation == id);
        let state = &mut *state;
        if let Some(live) = state.conversations.get_mut(&id) {
            live.writers = None;
            live.view.state = ConversationState::Closed(reason.to_string());
            state.closed.push_back(id);
            for held in discarded {
                let text = format!(
                    "held frame #{} discarded: the conversation closed ({reason})",
                    held.id
                );
                live.note(held.toward, &text);
            }
        }
        state.prune_closed();
        state.changed();
    }

    /// Which directions are held. A direction no longer held lets its
    /// held frames go, in order.
    pub(crate) fn set_hold(&self, hold: HoldSettings) {
        let mut state = self.state.lock();
        let before = state.hold;
        state.hold = hold;
        for toward in Toward::BOTH {
            if before.holds(toward) && !hold.holds(toward) {
                for held in state.take_held(|h| h.toward == toward) {
                    state.forward(held, None, ": holding was switched off");
                }
            }
        }
        state.changed();
    }

    /// Forwards, replaces or drops held frame `id`.
    pub(crate) fn release(&self, id: u64, release: Release) -> Result<(), InterceptError> {
        let mut state = self.state.lock();
        let index = state
            .held
            .iter()
            .position(|h| h.id == id)
            .ok_or(InterceptError::NotHeld(id))?;
        if matches!(&release, Release::Replace(bytes) if bytes.is_empty()) {
            return Err(InterceptError::Empty);
        }
        let Some(held) = state.held.remove(index) else {
            return Err(InterceptError::NotHeld(id));
        };
        match release {
            Release::Forward => state.forward(held, None, ""),
            Release::Replace(bytes) => state.forward(held, Some(bytes), ""),
            Release::Drop => state.drop_held(held, " by the user"),
        }
        state.changed();
        Ok(())
    }

    /// Keeps held frame `id` past the time-out (`pinned`), or lets the
    /// time-out apply again, counted afresh from now.
    pub(crate) fn pin(&self, id: u64, pinned: bool) -> Result<(), InterceptError> {
        let mut state = self.state.lock();
        let held = state
            .held
            .iter_mut()
            .find(|h| h.id == id)
            .ok_or(InterceptError::NotHeld(id))?;
        if held.pinned && !pinned {
            held.held_at = Instant::now();
            held.held_at_us = now_us();
        }
        held.pinned = pinned;
        state.changed();
        Ok(())
    }

    /// Sends `bytes` into conversation `id`, going `toward`, after what
    /// is already queued that way.
    pub(crate) fn inject(
        &self,
        id: u32,
        toward: Toward,
        bytes: Bytes,
    ) -> Result<(), InterceptError> {
        if bytes.is_empty() {
            return Err(InterceptError::Empty);
        }
        let mut state = self.state.lock();
        let live = state
            .conversations
            .get_mut(&id)
            .ok_or(InterceptError::NoConversation(id))?;
        let len = bytes.len();
        if !live.send_on(toward, bytes, None) {
            return Err(InterceptError::Over { id, toward });
        }
        if let Some(leg) = live.destination(toward) {
            leg.note(Direction::Sent, &format!("injected {toward} ({len} bytes)"));
        }
        state.changed();
        Ok(())
    }

    /// Decides the fate of held frames whose time is up; returns how many.
    pub(crate) fn expire(&self, now: Instant) -> usize {
        let mut state = self.state.lock();
        let HoldSettings {
            timeout,
            on_timeout,
            ..
        } = state.hold;
        if state.held.is_empty() {
            return 0;
        }
        let expired =
            state.take_held(|h| !h.pinned && now.saturating_duration_since(h.held_at) >= timeout);
        let count = expired.len();
        let why = format!(": held {} s, its time was up", timeout.as_secs_f64());
        for held in expired {
            match on_timeout {
                HeldFate::Forward => state.forward(held, None, &why),
                HeldFate::Drop => state.drop_held(held, &why),
            }
        }
        if count > 0 {
            state.changed();
        }
        count
    }

    /// The conversations and held frames as of now: rebuilt when a
    /// conversation or a held frame came or went, and for the counts at
    /// most every quarter second; `force` rebuilds it now.
    pub(crate) fn view(&self, force: bool) -> Arc<RelayView> {
        let mut state = self.state.lock();
        let now = Instant::now();
        if let Some((version, built, view)) = &state.published
            && *version == state.version
            && !force
            && now.duration_since(*built) < COUNTS_REFRESH
        {
            return view.clone();
        }
        let view = Arc::new(RelayView {
            hold: state.hold,
            conversations: state
                .conversations
                .values()
                .map(|live| live.view.clone())
                .collect(),
            held: state
                .held
                .iter()
                .map(|held| HeldView {
                    id: held.id,
                    conversation: held.conversation,
                    toward: held.toward,
                    seq: held.seq,
                    kind: state
                        .conversations
                        .get(&held.conversation)
                        .map_or(RecordKind::Frame, |live| live.kind),
                    bytes: held.bytes.clone(),
                    held_at_us: held.held_at_us,
                    pinned: held.pinned,
                })
                .collect(),
        });
        state.published = Some((state.version, now, view.clone()));
        view
    }
}
