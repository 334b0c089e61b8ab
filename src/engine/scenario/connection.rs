//! One connection of a running scenario: its socket, its reader, what it
//! last received and how it ended. Every wait has a deadline.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::net::tls::Stream;
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;

use tokio::net::UdpSocket;

use super::recording::Recording;
use crate::engine::net::datagram::{self, DatagramBuffer, DatagramFraming, Message};
use crate::engine::net::limits::DEFAULT_DATAGRAM_BUFFER;
use crate::engine::net::read_error::{ReadError, ReadReason};
use crate::engine::net::reader::{FrameReader, ReadFailure};
use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::record::vocabulary::{Direction, RecordKind};
use crate::engine::render::describe::fields_line;
use crate::engine::script::predicate::show_bytes;

/// What an `expect` found on a connection.
#[derive(Debug)]
pub enum Arrival {
    /// A whole frame.
    Frame(Frame),
    /// Bytes on a raw connection.
    Raw(Bytes),
    /// A frame that could not be decoded.
    DecodeFailed(Box<ReadFailure>),
    /// The peer closed at a frame boundary.
    Closed,
    /// The socket failed: reset, aborted, ...
    Broken {
        /// The system's words.
        detail: String,
        /// Whether it was a reset.
        reset: bool,
    },
    /// Nothing (whole) arrived in time.
    TimedOut {
        /// Bytes of an unfinished frame that did arrive.
        pending: usize,
    },
    /// The scenario itself closed the connection.
    ClosedHere,
}

/// How a connection's reading ended, kept so that later steps see it too.
#[derive(Debug, Clone)]
enum Ended {
    Closed,
    DecodeFailed(Box<ReadFailure>),
    Broken { detail: String, reset: bool },
    ClosedHere,
}

/// What a connection last received: what `capture` reads.
#[derive(Debug, Clone)]
pub enum LastReceived {
    /// A frame.
    Frame(Frame),
    /// Raw bytes.
    Raw(Bytes),
}

/// What a connect step opened: a stream, or a UDP socket connected to the
/// target.
#[derive(Debug)]
pub enum Link {
    /// A TCP connection (perhaps under TLS).
    Stream(Stream),
    /// A UDP socket: each frame one datagram.
    Datagram(UdpSocket),
}

/// A UDP socket of a scenario, and how its datagrams are read.
#[derive(Debug)]
pub struct DatagramLink {
    /// The socket, connected to the target.
    pub socket: UdpSocket,
    framing: DatagramFraming,
    buffer: DatagramBuffer,
}

/// One connection a scenario opened.
#[derive(Debug)]
pub struct Connection {
    /// Its number in the scenario, from 1.
    pub number: usize,
    /// The socket, until the scenario closes it.
    pub stream: Option<Stream>,
    /// Over UDP, the socket instead, until the scenario closes it.
    pub datagram: Option<DatagramLink>,
    /// Raw bytes rather than frames.
    pub raw: bool,
    /// The profile its frames keep; `None`: the JSON header's.
    pub profile: Option<Arc<Profile>>,
    /// Frames sent so far.
    pub sent: u64,
    /// What the last successful `expect` matched.
    pub last: Option<LastReceived>,
    /// Where its traffic is recorded, if anywhere.
    pub(crate) recording: Option<Recording>,
    reader: FrameReader,
    raw_buffer: BytesMut,
    ended: Option<Ended>,
}

impl Connection {
    /// A connection over `stream`, its traffic recorded into `recording`.
    pub(crate) fn new(
        number: usize,
        link: Link,
        (raw, profile): (bool, Option<Arc<Profile>>),
        max_content_length: u64,
        recording: Option<Recording>,
    ) -> Self {
        // A raw profile reads chunks; the JSON header's is the default.
        let raw = raw || profile.as_ref().is_some_and(|p| p.is_raw());
        let profile = profile.filter(|p| !p.is_raw() && !p.is_json_header());
        // The expect step's own deadline bounds each wait; the reader's
        // timeout only has to be longer than any of them.
        let patient = Duration::from_secs(24 * 3600);
        let reader = match &profile {
            Some(profile) => FrameReader::with_profile(profile.clone(), Role::Reply, patient),
            None => FrameReader::new(max_content_length, patient),
        };
        let (stream, datagram) = match link {
            Link::Stream(stream) => (Some(stream), None),
            Link::Datagram(socket) => (
                None,
                Some(DatagramLink {
                    socket,
                    framing: DatagramFraming::of(
                        profile.as_ref(),
                        Role::Reply,
                        raw,
                        max_content_length,
                    ),
                    buffer: DatagramBuffer::new(DEFAULT_DATAGRAM_BUFFER),
                }),
            ),
        };
        Self {
            number,
            stream,
            datagram,
            raw,
            profile,
            sent: 0,
            last: None,
            recording,
            reader,
            raw_buffer: BytesMut::new(),
            ended: None,
        }
    }

    /// Closes the socket (both ways); later expects see it closed here.
    pub fn close(&mut self) {
        self.stream = None;
        self.datagram = None;
        self.ended.get_or_insert(Ended::ClosedHere);
    }

    /// The next thing to arrive, waiting at most `within`. A connection
    /// that ended gives its end again.
    pub async fn next(&mut self, within: Duration) -> Arrival {
        if let Some(ended) = &self.ended {
            return ended.arrival();
        }
        if self.raw {
            return self.next_raw(within).await;
        }
        if self.datagram.is_some() {
            return self.next_datagram(within).await;
        }
        let Some(stream) = self.stream.as_mut() else {
            return Arrival::ClosedHere;
        };
        let arrival = match tokio::time::timeout(within, self.reader.next(stream)).await {
            Err(_) => {
                return Arrival::TimedOut {
                    pending: self.reader.buffered_len(),
                };
            }
            Ok(Ok(Some(frame))) => {
                self.record(Direction::Received, RecordKind::Frame, frame.raw(), None);
                return Arrival::Frame(frame);
            }
            Ok(Ok(None)) => Ended::Closed,
            Ok(Err(failure)) => match failure.io_kind {
                Some(kind) => Ended::Broken {
                    detail: failure.error.reason.to_string(),
                    reset: kind == std::io::ErrorKind::ConnectionReset,
                },
                None => {
                    let error = Some(failure.error.clone());
                    self.record(
                        Direction::Received,
                        RecordKind::Error,
                        &failure.partial,
                        error,
                    );
                    Ended::DecodeFailed(failure)
                }
            },
        };
        self.ended = Some(arrival.clone());
        arrival.arrival()
    }

    /// Bytes received on a raw connection and not yet matched.
    pub fn raw_pending(&self) -> &[u8] {
        &self.raw_buffer
    }

    /// Forgets the raw bytes an expect matched, keeping them as the last received.
    pub fn take_raw(&mut self) -> Bytes {
        let taken = self.raw_buffer.split().freeze();
        self.last = Some(LastReceived::Raw(taken.clone()));
        taken
    }

    /// Reads more raw bytes into the pending buffer, waiting at most
    /// `within`; an end is kept and given as the arrival.
    pub async fn read_raw(&mut self, within: Duration) -> Option<Arrival> {
        if let Some(ended) = &self.ended {
            return Some(ended.arrival());
        }
        if self.datagram.is_some() {
            return match self.receive_datagram(within).await {
                Ok(bytes) => {
                    self.record(Direction::Received, RecordKind::Chunk, &bytes, None);
                    self.raw_buffer.extend_from_slice(&bytes);
                    None
                }
                Err(arrival) => Some(arrival),
            };
        }
        let stream = self.stream.as_mut()?;
        if self.raw_buffer.capacity() - self.raw_buffer.len() < 4096 {
            self.raw_buffer.reserve(64 * 1024);
        }
        let before = self.raw_buffer.len();
        let ended = match tokio::time::timeout(within, stream.read_buf(&mut self.raw_buffer)).await
        {
            Err(_) => {
                return Some(Arrival::TimedOut {
                    pending: self.raw_buffer.len(),
                });
            }
            Ok(Ok(0)) => Ended::Closed,
            Ok(Ok(_)) => {
                let chunk = Bytes::copy_from_slice(&self.raw_buffer[before..]);
                self.record(Direction::Received, RecordKind::Chunk, &chunk, None);
                return None;
            }
            Ok(Err(error)) => Ended::Broken {
                reset: error.kind() == std::io::ErrorKind::ConnectionReset,
                detail: error.to_string(),
            },
        };
        self.ended = Some(ended.clone());
        Some(ended.arrival())
    }

    /// The next datagram on a UDP socket, read as a frame of its protocol:
    /// one that is not a whole frame is an error row and a decode error,
    /// and the socket reads on.
    async fn next_datagram(&mut self, within: Duration) -> Arrival {
        let bytes = match self.receive_datagram(within).await {
            Ok(bytes) => bytes,
            Err(arrival) => return arrival,
        };
        let Some(link) = &self.datagram else {
            return Arrival::ClosedHere;
        };
        match link.framing.read(bytes) {
            Message::Frame(frame) => {
                self.record(Direction::Received, RecordKind::Frame, frame.raw(), None);
                Arrival::Frame(frame)
            }
            Message::Chunk(bytes) => {
                self.record(Direction::Received, RecordKind::Chunk, &bytes, None);
                Arrival::Raw(bytes)
            }
            Message::Rejected(bytes, error) => self.datagram_fault(bytes, error),
        }
    }

    /// One datagram's bytes, or what came instead: nothing in time, a
    /// refusal (an error row; the socket stays), a cut datagram (the same),
    /// or the socket's failure (its end).
    async fn receive_datagram(&mut self, within: Duration) -> Result<Bytes, Arrival> {
        let Some(link) = self.datagram.as_mut() else {
            return Err(Arrival::ClosedHere);
        };
        let peer = link.socket.peer_addr().ok();
        let received = tokio::time::timeout(
            within,
            link.buffer
                .recv(&link.socket, peer.unwrap_or(([0, 0, 0, 0], 0).into())),
        )
        .await;
        let limit = link.buffer.limit();
        match received {
            Err(_) => Err(Arrival::TimedOut { pending: 0 }),
            Ok(Ok(received)) if received.truncated => {
                Err(self.datagram_fault(received.bytes, datagram::truncated(limit)))
            }
            Ok(Ok(received)) => Ok(received.bytes),
            Ok(Err(error)) if datagram::is_unreachable(&error) => {
                let error = datagram::datagram_error(ReadReason::Unreachable {
                    peer: peer.map_or_else(String::new, |p| p.to_string()),
                });
                let detail = error.to_string();
                self.record(
                    Direction::Received,
                    RecordKind::Error,
                    &Bytes::new(),
                    Some(error),
                );
                Err(Arrival::Broken {
                    detail,
                    reset: false,
                })
            }
            Ok(Err(error)) => {
                let ended = Ended::Broken {
                    detail: error.to_string(),
                    reset: false,
                };
                self.ended = Some(ended.clone());
                Err(ended.arrival())
            }
        }
    }

    /// A datagram that is not a whole frame: recorded, and given as a
    /// decode error (the socket reads on).
    fn datagram_fault(&mut self, bytes: Bytes, error: ReadError) -> Arrival {
        self.record(
            Direction::Received,
            RecordKind::Error,
            &bytes,
            Some(error.clone()),
        );
        Arrival::DecodeFailed(Box::new(ReadFailure {
            error,
            partial: bytes,
            io_kind: None,
        }))
    }

    /// Records what crossed this connection, if it is recorded.
    pub(crate) fn record(
        &self,
        direction: Direction,
        kind: RecordKind,
        bytes: &Bytes,
        error: Option<crate::engine::net::read_error::ReadError>,
    ) {
        if let Some(recording) = &self.recording {
            recording.record(direction, kind, bytes, error);
        }
    }

    /// The connection's id in the journal, when recorded.
    pub fn journal_id(&self) -> Option<u32> {
        self.recording.as_ref().map(|r| r.conn)
    }

    async fn next_raw(&mut self, within: Duration) -> Arrival {
        if !self.raw_buffer.is_empty() {
            return Arrival::Raw(self.take_raw());
        }
        match self.read_raw(within).await {
            Some(arrival) => arrival,
            None => Arrival::Raw(self.take_raw()),
        }
    }
}

impl Ended {
    fn arrival(&self) -> Arrival {
        match self {
            Ended::Closed => Arrival::Closed,
            Ended::DecodeFailed(failure) => Arrival::DecodeFailed(failure.clone()),
            Ended::Broken { detail, reset } => Arrival::Broken {
                detail: detail.clone(),
                reset: *reset,
            },
            Ended::ClosedHere => Arrival::ClosedHere,
        }
    }
}

impl Arrival {
    /// A frame of `profile` as text: its fields by name.
    pub fn render_fields(&self, profile: &Profile) -> Option<String> {
        match self {
            Arrival::Frame(frame) => Some(format!(
                "fields {}",
                fields_line(profile, frame.raw(), Role::Reply)
            )),
            other => other.render(),
        }
    }

    /// What arrived, in a line (for a mismatch's "actual").
    pub fn summary(&self, within: Duration) -> String {
        match self {
            Arrival::Frame(_) => "a frame".to_owned(),
            Arrival::Raw(bytes) => format!("{} bytes", bytes.len()),
            Arrival::DecodeFailed(failure) => format!(
                "a decode error in the {}: {}",
                failure.error.part, failure.error.reason
            ),
            Arrival::Closed => "the peer closed the connection".to_owned(),
            Arrival::Broken { detail, .. } => format!("the connection failed: {detail}"),
            Arrival::TimedOut { pending: 0 } => {
                format!("nothing within {}", show_duration(within))
            }
            Arrival::TimedOut { pending } => format!(
                "no whole frame within {}: {pending} bytes of one arrived",
                show_duration(within)
            ),
            Arrival::ClosedHere => "the connection was closed by this scenario".to_owned(),
        }
    }

    /// What arrived, in full: a frame's header and content, the bytes, or
    /// the decode error and the bytes that came with it.
    pub fn render(&self) -> Option<String> {
        match self {
            Arrival::Frame(frame) => Some(render_frame(frame)),
            Arrival::Raw(bytes) => Some(format!("bytes {}", show_bytes(bytes))),
            Arrival::DecodeFailed(failure) => Some(format!(
                "decode error: {}\nbytes received {}",
                failure.error,
                show_bytes(&failure.partial)
            )),
            _ => None,
        }
    }
}

/// A frame as text: its header as received, and its content.
pub fn render_frame(frame: &Frame) -> String {
    format!(
        "header {}\ncontent {}",
        String::from_utf8_lossy(frame.header_bytes()),
        show_bytes(&frame.content())
    )
}

/// A duration as a person reads it: `250 ms`, `2 s`.
pub fn show_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f64())
    }
}
