//! One connection served by rules: each frame read, recorded, matched
//! against the rule set in force at that moment, and the chosen rule's
//! actions done in order.

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::set::RuleAction;
use crate::engine::net::limits::Limits;
use crate::engine::net::read_error::ReadError;
use crate::engine::net::reader::{FrameReader, Item};
use crate::engine::protocol::codec::FrameCodec;
use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::protocol::template::Expansion;
use crate::engine::record::vocabulary::{CloseReason, Direction, RecordKind};
use crate::engine::recorder::Recorder;
use crate::engine::script::predicate::Observed;

/// How a connection served by rules ended.
#[derive(Debug)]
pub(crate) enum RulesEnd {
    /// The peer closed, the socket failed, or a frame could not be read.
    Over(CloseReason),
    /// A rule closed it (the sending side is already shut down).
    Closed,
    /// A rule asked for a reset: the caller sets SO_LINGER 0 and drops it.
    Reset,
}

/// What the actions for one frame came to.
enum Next {
    Read,
    End(RulesEnd),
}

/// Serves one connection until the peer closes or a rule ends it.
pub(crate) async fn serve_connection<R, W>(
    read: &mut R,
    write: &mut W,
    limits: &Limits,
    recorder: &Recorder,
    rules: &ArcSwapOption<super::RuleSet>,
    profile: Option<&Arc<Profile>>,
) -> RulesEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = match profile {
        Some(profile) => {
            FrameReader::with_profile(profile.clone(), Role::Request, limits.read_timeout)
        }
        None => FrameReader::new(limits.max_content_length, limits.read_timeout),
    };
    let mut answerer = Answerer::new(limits, recorder, rules, profile);
    loop {
        let incoming = match reader.next_item(read).await {
            Ok(Some(Item::Frame(frame))) => Incoming::Frame(frame),
            // A frame that breaks the profile is an error row; a rule for
            // errors may answer it, and the connection reads on.
            Ok(Some(Item::Rejected(bytes, error))) => Incoming::Rejected(bytes, error.into()),
            Ok(None) => return RulesEnd::Over(CloseReason::ClosedByPeer),
            // A read that failed ends the connection once its rule has run.
            Err(failure) => {
                let error = failure.error.clone();
                let reason = recorder.failure(*failure);
                if let Some(end) = answerer.answer(Answered::Failed(error), write).await {
                    return end;
                }
                return RulesEnd::Over(reason);
            }
        };
        if let Some(end) = answerer.answer(Answered::Read(incoming), write).await {
            return end;
        }
    }
}

/// One message that reached a connection (a frame read from a stream, or
/// a datagram).
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole frame.
    Frame(Frame),
    /// Bytes that are not one: their error row is the rules' to record.
    Rejected(Bytes, ReadError),
}

/// What the rules answer: a message, or a read that failed (already
/// recorded by the reader's caller).
enum Answered {
    Read(Incoming),
    Failed(ReadError),
}

/// The rules' side of one connection or UDP session: how many messages it
/// has had, and where its replies' randomness comes from.
pub(crate) struct Answerer<'a> {
    limits: &'a Limits,
    recorder: &'a Recorder,
    rules: &'a ArcSwapOption<super::RuleSet>,
    profile: Option<&'a Arc<Profile>>,
    rng: fastrand::Rng,
    number: u64,
}

impl<'a> Answerer<'a> {
    /// The rules in force answering one connection's messages, recorded by
    /// `recorder`, in `profile` (the JSON header's when `None`).
    pub(crate) fn new(
        limits: &'a Limits,
        recorder: &'a Recorder,
        rules: &'a ArcSwapOption<super::RuleSet>,
        profile: Option<&'a Arc<Profile>>,
    ) -> Self {
        Self {
            limits,
            recorder,
            rules,
            profile,
            rng: fastrand::Rng::new(),
            number: 0,
        }
    }

    /// Records a message, finds the rule that answers it (if one does) and
    /// does its actions, writing to `write`; `Some` when a rule ended the
    /// connection.
    pub(crate) async fn answer_message<W: AsyncWrite + Unpin>(
        &mut self,
        incoming: Incoming,
        write: &mut W,
    ) -> Option<RulesEnd> {
        self.answer(Answered::Read(incoming), write).await
    }

    async fn answer<W: AsyncWrite + Unpin>(
        &mut self,
        answered: Answered,
        write: &mut W,
    ) -> Option<RulesEnd> {
        self.number += 1;
        let number = self.number;
        let recorder = self.recorder;
        let held = self.rules.load_full();
        let set = held.as_deref();
        let (decision, frame) = match answered {
            Answered::Read(Incoming::Frame(frame)) => {
                recorder.frame(Direction::Received, &frame);
                let set = set?;
                let fields = self.profile.map(|p| p.decode(frame.raw(), Role::Request).0);
                let observed = match &fields {
                    Some(fields) => Observed::Fields {
                        bytes: frame.raw(),
                        fields,
                    },
                    None => Observed::Frame(&frame),
                };
                let decision = set.decide(observed, number);
                // The hit is counted after the frame was recorded: say so,
                // so a rule that sends nothing shows its hit too.
                recorder.mark_changed();
                (decision, Some(frame))
            }
            Answered::Read(Incoming::Rejected(bytes, error)) => {
                recorder.error(error.clone(), &bytes);
                let decision = set.and_then(|set| set.decide(Observed::ReadError(&error), number));
                (decision, None)
            }
            Answered::Failed(error) => {
                let decision = set.and_then(|set| set.decide(Observed::ReadError(&error), number));
                (decision, None)
            }
        };
        let decision = decision?;
        let mut out = Output {
            write,
            recorder,
            conn: recorder.conn(),
            number,
            rng: &mut self.rng,
            values: &decision.values,
            max_content_length: self.limits.max_content_length,
            profile: self.profile,
        };
        match out.run(decision.actions, frame.as_ref()).await {
            Next::End(end) => Some(end),
            Next::Read => None,
        }
    }
}

/// Where a rule's actions write, and what their templates expand to.
struct Output<'a, W> {
    write: &'a mut W,
    recorder: &'a Recorder,
    conn: u32,
    number: u64,
    rng: &'a mut fastrand::Rng,
    values: &'a [String],
    max_content_length: u64,
    /// The profile replies are built in, when the frames keep one.
    profile: Option<&'a Arc<Profile>>,
}

impl<W: AsyncWrite + Unpin> Output<'_, W> {
    async fn run(&mut self, actions: &[RuleAction], frame: Option<&Frame>) -> Next {
        for action in actions {
            match action {
                RuleAction::Reply(plan) => {
                    let mut expansion = Expansion {
                        conn: self.conn,
                        seq: self.number,
                        content_len: 0,
                        rng: self.rng,
                        named: self.values,
                    };
                    let built = match self.profile {
                        Some(profile) => plan.build_fields(profile, Role::Reply, &mut expansion),
                        None => plan
                            .build(false, &mut expansion)
                            .map_err(|error| error.to_string()),
                    };
                    let bytes = match built {
                        Ok(bytes) => bytes,
                        Err(error) => {
                            tracing::warn!(%error, "a rule's reply cannot be built; not sent");
                            continue;
                        }
                    };
                    let whole = match self.profile {
                        Some(profile) => profile.cut_frames(&bytes, Role::Reply).is_ok(),
                        None => is_whole_frame(&bytes, self.max_content_length),
                    };
                    let kind = if whole {
                        RecordKind::Frame
                    } else {
                        RecordKind::Chunk
                    };
                    if let Err(error) = self.write.write_all(&bytes).await {
                        return Next::End(RulesEnd::Over(CloseReason::from_io(&error)));
                    }
                    self.recorder.bytes(Direction::Sent, kind, &bytes);
                }
                RuleAction::Echo => {
                    let Some(frame) = frame else { continue };
                    if let Err(error) = self.write.write_all(frame.raw()).await {
                        return Next::End(RulesEnd::Over(CloseReason::from_io(&error)));
                    }
                    self.recorder.frame(Direction::Sent, frame);
                }
                RuleAction::Wait(pause) => tokio::time::sleep(*pause).await,
                RuleAction::Close => {
                    let _ = self.write.shutdown().await;
                    return Next::End(RulesEnd::Closed);
                }
                RuleAction::Reset => return Next::End(RulesEnd::Reset),
                RuleAction::Drop => {}
            }
        }
        Next::Read
    }
}

/// Whether `bytes` are exactly one well-formed frame (a broken reply is
/// recorded as a raw chunk, so the journal does not call it a frame).
fn is_whole_frame(bytes: &Bytes, max_content_length: u64) -> bool {
    let mut buf = BytesMut::from(&bytes[..]);
    matches!(
        FrameCodec::new(max_content_length).decode(&mut buf),
        Ok(Some(_))
    ) && buf.is_empty()
}
