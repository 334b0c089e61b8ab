//! Reading frames from one socket: the codec plus the read timeout.
//!
//! `next` returns `Ok(None)` on a clean close at a frame boundary and an
//! error (with the bytes that did arrive) on a close, reset or stall in the
//! middle of a frame. The read timeout runs from a frame's first byte, so a
//! peer trickling one byte at a time cannot hold a connection forever.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;
use tokio_util::codec::Decoder;

use super::codec::{DecodeError, FrameCodec};
use super::frame::Frame;

/// Room made for each read (framed or raw): a batching peer's whole burst
/// in one system call.
pub(crate) const READ_BUFFER: usize = 64 * 1024;

/// A frame that could not be read, and what of it arrived.
#[derive(Debug, Clone)]
pub struct ReadFailure {
    /// What went wrong, where.
    pub error: DecodeError,
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

/// Reads frames from a byte stream.
#[derive(Debug)]
pub struct FrameReader {
    codec: FrameCodec,
    buf: BytesMut,
    frame_started: Option<Instant>,
    read_timeout: Duration,
}

impl FrameReader {
    /// A reader with a content limit and a read timeout inside a frame.
    pub fn new(max_content_length: u64, read_timeout: Duration) -> Self {
        Self {
            codec: FrameCodec::new(max_content_length),
            buf: BytesMut::with_capacity(READ_BUFFER),
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
                        let error = self.codec.timed_out(self.buf.len(), self.read_timeout);
                        return Err(self.fail(error));
                    }
                },
                None => socket.read_buf(&mut self.buf).await,
            };
            match read {
                Ok(0) => {
                    return match self.codec.incomplete(self.buf.len()) {
                        None => Ok(None),
                        Some(error) => Err(self.fail(error)),
                    };
                }
                Ok(_) => {
                    self.frame_started.get_or_insert_with(Instant::now);
                }
                Err(error) => {
                    let kind = error.kind();
                    let mut failure = self.fail(self.codec.io_error(error.to_string()));
                    failure.io_kind = Some(kind);
                    return Err(failure);
                }
            }
        }
    }

    /// Reads until at least one whole frame is buffered, then appends to
    /// `frames` every whole frame buffered: all the frames one read (or a
    /// few, for a frame split across reads) completed, to be handled
    /// together. Cancel-safe as [`FrameReader::next`] is until the first
    /// frame arrives; the rest takes no await.
    pub async fn next_batch<R: AsyncRead + Unpin>(
        &mut self,
        socket: &mut R,
        frames: &mut Vec<Frame>,
    ) -> BatchEnd {
        match self.next(socket).await {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return BatchEnd::Closed,
            Err(failure) => return BatchEnd::Failed(failure),
        }
        loop {
            match self.codec.decode(&mut self.buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(error) => return BatchEnd::Failed(self.fail(error)),
            }
        }
        // The rest of the buffer is the start of the next frame: its read
        // timeout runs from now, as after a single frame.
        self.frame_started = (!self.buf.is_empty()).then(Instant::now);
        BatchEnd::More
    }

    fn fail(&mut self, error: DecodeError) -> Box<ReadFailure> {
        Box::new(ReadFailure {
            error,
            partial: self.buf.split().freeze(),
            io_kind: None,
        })
    }
}
