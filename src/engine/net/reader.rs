//! Reading frames from one socket: the codec plus the read timeout.
//!
//! `next` returns `Ok(None)` on a clean close at a frame boundary and an
//! error (with the bytes that did arrive) on a close, reset or stall in the
//! middle of a frame. The read timeout runs from a frame's first byte, so a
//! peer trickling one byte at a time cannot hold a connection forever.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::engine::net::read_error::{ReadError, ReadReason};
use crate::engine::protocol::codec::{DecodeError, FrameCodec, Progress};
use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::{Profile, Role};

/// Room made for each read (framed or raw): a batching peer's whole burst
/// in one system call.
pub(crate) const READ_BUFFER: usize = 64 * 1024;

/// A frame that could not be read, and what of it arrived.
#[derive(Debug, Clone)]
pub struct ReadFailure {
    /// What went wrong, where.
    pub error: ReadError,
    /// The bytes of the failed frame that were buffered.
    pub partial: Bytes,
    /// The socket error's kind, when the socket failed (a reset, say).
    pub io_kind: Option<std::io::ErrorKind>,
}

/// A frame, a clean close (`None`), or a failure.
pub type ReadResult = Result<Option<Frame>, Box<ReadFailure>>;

/// How a [`FrameReader::next_batch`] ended.
#[derive(Debug)]
pub enum BatchEnd {
    /// The stream goes on: the batch holds every whole frame buffered.
    More,
    /// The peer closed cleanly at a frame boundary; the batch is empty.
    Closed,
    /// A frame could not be read: after the batch's frames, if any.
    Failed(Box<ReadFailure>),
}

/// Whole frames taken together (see [`FrameReader::next_batch`]).
#[derive(Debug, Default)]
pub struct Batch {
    frames: Vec<Frame>,
    bytes: Bytes,
    /// A whole frame after them that broke its profile, and why: the
    /// stream goes on after it.
    rejected: Option<(Bytes, DecodeError)>,
}

impl Batch {
    /// The frames, in order.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The frames' bytes back to back, exactly as they arrived.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The frame after [`Batch::frames`] that broke its profile, if one
    /// did: its bytes and why.
    pub fn rejected(&self) -> Option<&(Bytes, DecodeError)> {
        self.rejected.as_ref()
    }

    /// Lets go of the frames (and so of the read buffer they share).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.bytes = Bytes::new();
        self.rejected = None;
    }
}

/// What [`FrameReader::next_item`] read.
#[derive(Debug)]
pub enum Item {
    /// A whole frame.
    Frame(Frame),
    /// A whole frame that breaks its profile: its bytes, and why.
    Rejected(Bytes, DecodeError),
}

/// Reads frames from a byte stream.
#[derive(Debug)]
pub struct FrameReader {
    codec: FrameCodec,
    buf: BytesMut,
    /// Where each frame of a batch lies in it: start, length, header length.
    spans: Vec<(usize, usize, usize)>,
    frame_started: Option<Instant>,
    read_timeout: Duration,
}

impl FrameReader {
    /// A reader with a content limit and a read timeout inside a frame.
    pub fn new(max_content_length: u64, read_timeout: Duration) -> Self {
        Self {
            codec: FrameCodec::new(max_content_length),
            buf: BytesMut::with_capacity(READ_BUFFER),
            spans: Vec::new(),
            frame_started: None,
            read_timeout,
        }
    }

    /// A reader framing by `profile`, its frames going the way `role` says.
    pub fn with_profile(profile: Arc<Profile>, role: Role, read_timeout: Duration) -> Self {
        Self {
            codec: FrameCodec::with_profile(profile, role),
            buf: BytesMut::with_capacity(READ_BUFFER),
            spans: Vec::new(),
            frame_started: None,
            read_timeout,
        }
    }

    /// Bytes buffered of a frame not yet whole.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The next frame already buffered, without reading.
    pub fn buffered(&mut self) -> ReadResult {
        match self.codec.decode(&mut self.buf) {
            Ok(Some(frame)) => {
                self.frame_started = (!self.buf.is_empty()).then(Instant::now);
                Ok(Some(frame))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(self.fail(error)),
        }
    }

    /// Reads until a whole frame is buffered; `Ok(None)` on a clean close.
    /// Cancel-safe: dropping the future loses no bytes.
    pub async fn next<R: AsyncRead + Unpin>(&mut self, socket: &mut R) -> ReadResult {
        loop {
            if let Some(frame) = self.buffered()? {
                return Ok(Some(frame));
            }
            if !self.fill(socket).await? {
                return self.closed().map(|()| None);
            }
        }
    }

    /// As [`FrameReader::next`], except that a frame that breaks its
    /// profile but whose end is known comes back as
    /// [`Item::Rejected`] (its bytes and why) instead of ending the read:
    /// the stream goes on after it.
    pub async fn next_item<R: AsyncRead + Unpin>(
        &mut self,
        socket: &mut R,
    ) -> Result<Option<Item>, Box<ReadFailure>> {
        loop {
            match self.codec.front_frame(&self.buf) {
                Ok(Progress::Whole { len, header_len }) => {
                    let raw = self.buf.split_to(len).freeze();
                    self.frame_started = (!self.buf.is_empty()).then(Instant::now);
                    return Ok(Some(Item::Frame(Frame::from_validated(raw, header_len))));
                }
                Ok(Progress::Rejected { len, error }) => {
                    let bytes = self.buf.split_to(len).freeze();
                    self.frame_started = (!self.buf.is_empty()).then(Instant::now);
                    return Ok(Some(Item::Rejected(bytes, error)));
                }
                Ok(Progress::Wanting(more)) => self.buf.reserve(more),
                Err(error) => return Err(self.fail(error)),
            }
            if !self.fill(socket).await? {
                return self.closed().map(|()| None);
            }
        }
    }

    /// What the peer's close means: clean at a frame boundary, else the
    /// failure of the frame it cut short.
    fn closed(&mut self) -> Result<(), Box<ReadFailure>> {
        match self.codec.incomplete(self.buf.len()) {
            None => Ok(()),
            Some(error) => Err(self.fail(error)),
        }
    }

    /// Reads once more into the buffer, within the read timeout of a frame
    /// begun; false when the peer closed. Cancel-safe.
    async fn fill<R: AsyncRead + Unpin>(
        &mut self,
        socket: &mut R,
    ) -> Result<bool, Box<ReadFailure>> {
        // Room for a good-sized read: without it a buffer emptied by the
        // last frame would read the next one a few bytes at a time. Once
        // the last frame is dropped, this reuses its allocation.
        if self.buf.capacity() - self.buf.len() < READ_BUFFER {
            self.buf.reserve(READ_BUFFER);
        }
        let read = match self.frame_started {
            Some(started) => match tokio::time::timeout_at(
                started + self.read_timeout,
                socket.read_buf(&mut self.buf),
            )
            .await
            {
                Ok(read) => read,
                Err(_) => {
                    let reason = ReadReason::Timeout {
                        received: self.buf.len() as u64,
                        timeout_ms: self.read_timeout.as_millis() as u64,
                    };
                    return Err(self.fail(self.transport_error(reason)));
                }
            },
            None => socket.read_buf(&mut self.buf).await,
        };
        match read {
            Ok(0) => Ok(false),
            Ok(_) => {
                self.frame_started.get_or_insert_with(Instant::now);
                Ok(true)
            }
            Err(error) => {
                let kind = error.kind();
                let reason = ReadReason::Io {
                    detail: error.to_string(),
                };
                let mut failure = self.fail(self.transport_error(reason));
                failure.io_kind = Some(kind);
                Err(failure)
            }
        }
    }

    /// Reads until at least one whole frame is buffered, then takes every
    /// whole frame buffered into `batch` (emptied first): all the frames
    /// one read (or a few, for a frame split across reads) completed, to
    /// be handled together, and their bytes back to back, to be echoed
    /// with no copy. Cancel-safe as [`FrameReader::next`] is until the
    /// first frame arrives; the rest takes no await.
    pub async fn next_batch<R: AsyncRead + Unpin>(
        &mut self,
        socket: &mut R,
        batch: &mut Batch,
    ) -> BatchEnd {
        batch.clear();
        loop {
            let taken = self.take_whole(batch);
            if let Err(error) = taken {
                return BatchEnd::Failed(self.fail(error));
            }
            if !batch.frames.is_empty() || batch.rejected.is_some() {
                // The rest of the buffer is the start of the next frame:
                // its read timeout runs from now, as after a single frame.
                self.frame_started = (!self.buf.is_empty()).then(Instant::now);
                return BatchEnd::More;
            }
            match self.fill(socket).await {
                Ok(true) => {}
                Ok(false) => {
                    return match self.closed() {
                        Ok(()) => BatchEnd::Closed,
                        Err(failure) => BatchEnd::Failed(failure),
                    };
                }
                Err(failure) => return BatchEnd::Failed(failure),
            }
        }
    }

    /// Moves every whole frame at the front of the buffer into `batch`, as
    /// slices of one buffer split off at once; a bad frame after them is
    /// the error (the frames before it are in `batch` all the same).
    fn take_whole(&mut self, batch: &mut Batch) -> Result<(), DecodeError> {
        self.spans.clear();
        let mut end = 0;
        let mut rejected = None;
        let outcome = loop {
            match self.codec.front_frame(&self.buf[end..]) {
                Ok(Progress::Whole { len, header_len }) => {
                    self.spans.push((end, len, header_len));
                    end += len;
                }
                Ok(Progress::Wanting(more)) => break Ok(more),
                Ok(Progress::Rejected { len, error }) => {
                    rejected = Some((len, error));
                    break Ok(0);
                }
                Err(error) => break Err(error),
            }
        };
        if let Some((len, error)) = rejected {
            let mut taken = self.buf.split_to(end + len).freeze();
            batch.rejected = Some((taken.split_off(end), error));
            let bytes = taken;
            batch
                .frames
                .extend(self.spans.iter().map(|&(start, len, header_len)| {
                    Frame::from_validated(bytes.slice(start..start + len), header_len)
                }));
            batch.bytes = bytes;
            return Ok(());
        }
        if end > 0 {
            let bytes = self.buf.split_to(end).freeze();
            batch
                .frames
                .extend(self.spans.iter().map(|&(start, len, header_len)| {
                    Frame::from_validated(bytes.slice(start..start + len), header_len)
                }));
            batch.bytes = bytes;
        }
        outcome.map(|more| self.buf.reserve(more))
    }

    /// The transport's failure, at the frame now arriving.
    fn transport_error(&self, reason: ReadReason) -> ReadError {
        let (offset, part) = self.codec.position();
        ReadError {
            offset,
            part,
            reason,
        }
    }

    fn fail(&mut self, error: impl Into<ReadError>) -> Box<ReadFailure> {
        Box::new(ReadFailure {
            error: error.into(),
            partial: self.buf.split().freeze(),
            io_kind: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;
    use crate::engine::protocol::frame::FrameBuilder;

    const NO_LIMIT: u64 = 1 << 20;
    const PATIENT: Duration = Duration::from_secs(5);

    fn frame(content: &str) -> Bytes {
        FrameBuilder::new()
            .content(content.as_bytes().to_vec())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_batch_is_every_whole_frame_read_and_their_bytes_back_to_back() {
        let frames = [frame("one"), frame("two, a little longer"), frame("3")];
        let whole: Vec<u8> = frames.concat();
        // The third frame arrives in two writes: the first batch holds the
        // first two, the second the third alone.
        let split = frames[0].len() + frames[1].len() + 5;
        let (mut peer, mut socket) = tokio::io::duplex(64 * 1024);
        peer.write_all(&whole[..split]).await.unwrap();
        let mut reader = FrameReader::new(NO_LIMIT, PATIENT);
        let mut batch = Batch::default();

        assert!(matches!(
            reader.next_batch(&mut socket, &mut batch).await,
            BatchEnd::More
        ));
        let raws: Vec<&[u8]> = batch.frames().iter().map(|f| &f.raw()[..]).collect();
        assert_eq!(raws, [&frames[0][..], &frames[1][..]]);
        assert_eq!(batch.bytes()[..], whole[..split - 5]);
        assert_eq!(reader.buffered_len(), 5);

        peer.write_all(&whole[split..]).await.unwrap();
        drop(peer);
        assert!(matches!(
            reader.next_batch(&mut socket, &mut batch).await,
            BatchEnd::More
        ));
        assert_eq!(batch.frames().len(), 1);
        assert_eq!(batch.frames()[0].raw(), &frames[2]);
        assert_eq!(batch.bytes(), &frames[2]);
        assert_eq!(batch.frames()[0].header_len(), frames[2].len() - 2 - 1);

        assert!(matches!(
            reader.next_batch(&mut socket, &mut batch).await,
            BatchEnd::Closed
        ));
        assert!(batch.frames().is_empty() && batch.bytes().is_empty());
    }

    #[tokio::test]
    async fn good_frames_before_a_bad_one_are_in_the_batch_that_fails() {
        let good = frame("fine");
        let bad = b"\x00\x05nope!";
        let (mut peer, mut socket) = tokio::io::duplex(64 * 1024);
        peer.write_all(&[&good[..], &good[..], &bad[..]].concat())
            .await
            .unwrap();
        let mut reader = FrameReader::new(NO_LIMIT, PATIENT);
        let mut batch = Batch::default();

        let BatchEnd::Failed(failure) = reader.next_batch(&mut socket, &mut batch).await else {
            panic!("the bad frame fails the batch");
        };
        assert_eq!(batch.frames().len(), 2);
        assert_eq!(batch.bytes()[..], [&good[..], &good[..]].concat()[..]);
        assert_eq!(failure.error.offset, 2 * good.len() as u64);
        assert_eq!(failure.partial[..], bad[..]);
    }

    #[tokio::test]
    async fn under_a_profile_a_frame_that_breaks_it_is_set_aside_and_reading_goes_on() {
        let lines = Profile::builtin("lines").unwrap();
        let text = r#"
[profile]
name = "checked"
[[field]]
name = "len"
type = "u8"
length_of = ["data"]
[[field]]
name = "data"
type = "bytes"
[[field]]
name = "sum"
type = "u8"
checksum = { algorithm = "sum8", over = ["data"] }
"#;
        let checked = Arc::new(Profile::compile(text, "checked.toml").unwrap());
        let good = [2, 1, 2, 3];
        let bad = [2, 1, 2, 9];
        let (mut peer, mut socket) = tokio::io::duplex(64 * 1024);
        peer.write_all(&[&good[..], &bad[..], &good[..]].concat())
            .await
            .unwrap();
        drop(peer);
        let mut reader = FrameReader::with_profile(checked, Role::Reply, PATIENT);
        let mut batch = Batch::default();
        assert!(matches!(
            reader.next_batch(&mut socket, &mut batch).await,
            BatchEnd::More
        ));
        assert_eq!(batch.frames().len(), 1);
        let (bytes, error) = batch.rejected().expect("the bad sum is set aside");
        assert_eq!(bytes[..], bad);
        assert_eq!(error.offset, 4);
        assert_eq!(
            error.to_string(),
            "frame at stream offset 4: frame: sum (frame offset 3): checksum: expected 0x03, got 0x09"
        );
        assert!(matches!(
            reader.next_batch(&mut socket, &mut batch).await,
            BatchEnd::More
        ));
        assert_eq!(batch.frames()[0].raw()[..], good);
        assert!(batch.rejected().is_none());
        assert!(matches!(
            reader.next_batch(&mut socket, &mut batch).await,
            BatchEnd::Closed
        ));
        // A line cut short by the close is the frame's truncation.
        let (mut peer, mut socket) = tokio::io::duplex(1024);
        peer.write_all(b"no end").await.unwrap();
        drop(peer);
        let mut reader = FrameReader::with_profile(lines, Role::Reply, PATIENT);
        let BatchEnd::Failed(failure) = reader.next_batch(&mut socket, &mut batch).await else {
            panic!("a cut line fails");
        };
        assert_eq!(failure.partial[..], b"no end"[..]);
        assert!(
            failure.error.to_string().contains("of the frame"),
            "{}",
            failure.error
        );
    }
}
