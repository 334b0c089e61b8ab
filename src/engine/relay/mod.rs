//! The relay: the embedded server's relay modes listen on one address and
//! forward every connection to a target, framed (each frame decoded and
//! checked on the way) or raw (bytes as they come).
//!
//! Each relayed conversation has two legs with connection ids of their own:
//! the client's connection to framescope (a server-side connection) and
//! framescope's connection to the target (a client-side one). Every frame
//! is recorded once per leg, received on one and sent on the other, and
//! each leg's records name the other leg (`link`), so a viewer can put the
//! conversation back together. A clean close, a half-close or a reset on
//! one leg passes through to the other.
//!
//! Intercept: while holding is switched on for a direction, every frame
//! going that way waits in the [`Hub`]'s queue until it is forwarded (as it
//! was or edited), dropped, or its time is up. Frames can also be injected
//! into either direction of an open conversation.

mod conversation;
mod datagram;
mod hub;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::engine::protocol::profile::Role;
use crate::engine::record::vocabulary::RecordKind;

pub(crate) use conversation::{RelayContext, relay_connection};
pub(crate) use datagram::{RelaySession, start_session as start_datagram_session};
pub(crate) use hub::Hub;

/// How long a held frame waits, unless told otherwise.
pub const DEFAULT_HOLD_TIMEOUT: Duration = Duration::from_secs(60);

/// Which way a frame travels through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toward {
    /// From the client to the target server.
    Server,
    /// From the target server back to the client.
    Client,
}

impl Toward {
    /// Both directions.
    pub const BOTH: [Toward; 2] = [Toward::Server, Toward::Client];

    /// `to server` or `to client`.
    pub fn name(self) -> &'static str {
        match self {
            Toward::Server => "to server",
            Toward::Client => "to client",
        }
    }

    /// What the frames going this way are under a profile: requests toward
    /// the server, replies toward the client.
    pub fn role(self) -> Role {
        match self {
            Toward::Server => Role::Request,
            Toward::Client => Role::Reply,
        }
    }

    /// The direction coming back.
    pub fn reverse(self) -> Self {
        match self {
            Toward::Server => Toward::Client,
            Toward::Client => Toward::Server,
        }
    }

    fn index(self) -> usize {
        match self {
            Toward::Server => 0,
            Toward::Client => 1,
        }
    }
}

impl std::fmt::Display for Toward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What becomes of a held frame whose time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeldFate {
    /// It goes on as it was.
    #[default]
    Forward,
    /// It is dropped.
    Drop,
}

impl HeldFate {
    /// Both fates, for pickers.
    pub const ALL: [HeldFate; 2] = [HeldFate::Forward, HeldFate::Drop];

    /// `forward` or `drop`.
    pub fn name(self) -> &'static str {
        match self {
            HeldFate::Forward => "forward",
            HeldFate::Drop => "drop",
        }
    }
}

/// Which directions are held, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HoldSettings {
    /// Hold frames from the client to the server.
    pub toward_server: bool,
    /// Hold frames from the server to the client.
    pub toward_client: bool,
    /// How long a frame is held before its fate is decided for it.
    pub timeout: Duration,
    /// What happens then.
    pub on_timeout: HeldFate,
}

impl Default for HoldSettings {
    fn default() -> Self {
        Self {
            toward_server: false,
            toward_client: false,
            timeout: DEFAULT_HOLD_TIMEOUT,
            on_timeout: HeldFate::Forward,
        }
    }
}

impl HoldSettings {
    /// Whether frames going `toward` are held.
    pub fn holds(&self, toward: Toward) -> bool {
        match toward {
            Toward::Server => self.toward_server,
            Toward::Client => self.toward_client,
        }
    }
}

/// What to do with a held frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// Send it on as it came.
    Forward,
    /// Send these bytes in its place (an edited frame).
    Replace(Bytes),
    /// Never send it.
    Drop,
}

/// Why an intercept command could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterceptError {
    /// The frame was released already (by a time-out or a close, say).
    #[error("held frame #{0} is no longer held")]
    NotHeld(u64),
    /// No such conversation.
    #[error("there is no relayed conversation #{0}")]
    NoConversation(u32),
    /// The conversation, or its direction, is over.
    #[error("conversation #{id} no longer sends {toward}")]
    Over {
        /// The conversation.
        id: u32,
        /// The direction asked for.
        toward: Toward,
    },
    /// Nothing to send.
    #[error("there is nothing to send: the frame is empty")]
    Empty,
}

/// A held frame, as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldView {
    /// Its id, for [`Release`] commands.
    pub id: u64,
    /// The conversation it belongs to.
    pub conversation: u32,
    /// Which way it was going.
    pub toward: Toward,
    /// The journal record of its arrival (none with capture off).
    pub seq: Option<u64>,
    /// Frame or raw chunk.
    pub kind: RecordKind,
    /// Its bytes.
    pub bytes: Bytes,
    /// When it was held (or last unpinned), in microseconds since the
    /// Unix epoch.
    pub held_at_us: u64,
    /// Kept past the time-out while someone edits it.
    pub pinned: bool,
}

/// Where a relayed conversation is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationState {
    /// Connecting to the target.
    Connecting,
    /// Both legs open (or one half-closed).
    Open,
    /// Over: why, as the client's leg saw it.
    Closed(String),
}

/// One relayed conversation, as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationView {
    /// The conversation's id (the client leg's connection id).
    pub id: u32,
    /// The client's connection to framescope.
    pub client_conn: u32,
    /// framescope's connection to the target.
    pub upstream_conn: u32,
    /// The client's address.
    pub client: SocketAddr,
    /// The target's address, once connected.
    pub upstream: Option<SocketAddr>,
    /// Where it is.
    pub state: ConversationState,
    /// Frames (or chunks) sent on, toward the server and toward the client.
    pub forwarded: [u64; 2],
}

impl ConversationView {
    /// Frames (or chunks) sent on `toward`.
    pub fn forwarded(&self, toward: Toward) -> u64 {
        self.forwarded[toward.index()]
    }

    /// Whether it is still going.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, ConversationState::Closed(_))
    }
}

/// The relay's conversations and held frames, as a viewer sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayView {
    /// Which directions are held.
    pub hold: HoldSettings,
    /// Conversations, open ones and the latest closed ones, by rising id.
    pub conversations: Arc<[ConversationView]>,
    /// Frames held now, oldest first.
    pub held: Arc<[HeldView]>,
}

impl RelayView {
    /// The conversation with this id, if listed.
    pub fn conversation(&self, id: u32) -> Option<&ConversationView> {
        self.conversations
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|index| &self.conversations[index])
    }

    /// The conversation one of whose legs is connection `conn`.
    pub fn conversation_of(&self, conn: u32) -> Option<&ConversationView> {
        self.conversations
            .iter()
            .find(|c| c.client_conn == conn || c.upstream_conn == conn)
    }

    /// Whether the record numbered `seq` is a frame held now.
    pub fn is_held(&self, seq: u64) -> bool {
        self.held.iter().any(|held| held.seq == Some(seq))
    }
}
