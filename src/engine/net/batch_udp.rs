//! Datagrams many at a time, through `quinn-udp`: datagrams of one size
//! laid end to end go out in one call where the platform can segment them
//! (Linux's UDP GSO), and one call reads several datagrams (`recvmmsg`, and
//! GRO's coalesced ones) where it can. Elsewhere it falls back to one
//! datagram a call, so callers need not care which platform they are on.
//!
//! This is what lets a load over UDP spend a share of a system call per
//! datagram, as the TCP load's batched writes do.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;

use quinn_udp::{RecvMeta, Transmit, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Bytes of one receive buffer: the largest UDP payload, or as many
/// coalesced datagrams as GRO hands over at once.
const RECEIVE_BUFFER: usize = 64 * 1024;
/// The most bytes one segmented send carries (the limit of one UDP/IP
/// packet that the kernel then cuts).
const MAX_SEGMENTED_BYTES: usize = 64 * 1024 - 64;

/// A connected UDP socket that sends and receives in batches.
#[derive(Debug)]
pub struct BatchSocket {
    socket: UdpSocket,
    state: UdpSocketState,
    peer: SocketAddr,
}

/// Room to receive a batch into, reused from one call to the next.
#[derive(Debug)]
pub struct ReceiveBatch {
    buffers: Vec<Vec<u8>>,
    metas: Vec<RecvMeta>,
}

impl ReceiveBatch {
    /// Room for as many messages as one call of the platform reads.
    pub fn new() -> Self {
        let count = quinn_udp::BATCH_SIZE.max(1);
        Self {
            buffers: vec![vec![0; RECEIVE_BUFFER]; count],
            metas: vec![RecvMeta::default(); count],
        }
    }
}

impl Default for ReceiveBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchSocket {
    /// Wraps `socket`, already connected to `peer`.
    pub fn new(socket: UdpSocket, peer: SocketAddr) -> io::Result<Self> {
        let state = UdpSocketState::new((&socket).into())?;
        without_ancillary_data(&socket);
        Ok(Self {
            socket,
            state,
            peer,
        })
    }

    /// The socket's own address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// How many datagrams of `size` bytes one send may carry.
    pub fn segments_per_send(&self, size: usize) -> usize {
        let by_bytes = (MAX_SEGMENTED_BYTES / size.max(1)).max(1);
        self.state.max_gso_segments().clamp(1, by_bytes)
    }

    /// Sends the datagrams of `size` bytes laid end to end in `contents`
    /// (at most [`BatchSocket::segments_per_send`] of them; the last may be
    /// shorter) in one call where the platform allows. `WouldBlock` when
    /// the socket's buffer is full.
    pub fn try_send(&self, contents: &[u8], size: usize) -> io::Result<()> {
        let transmit = Transmit {
            destination: self.peer,
            ecn: None,
            contents,
            segment_size: (contents.len() > size).then_some(size),
            src_ip: None,
        };
        self.socket.try_io(Interest::WRITABLE, || {
            self.state.try_send((&self.socket).into(), &transmit)
        })
    }

    /// Waits until a send may succeed.
    pub async fn writable(&self) -> io::Result<()> {
        self.socket.writable().await
    }

    /// Waits until a receive may find something.
    pub async fn readable(&self) -> io::Result<()> {
        self.socket.readable().await
    }

    /// Reads what one call finds, handing each datagram to `each`; the
    /// number of datagrams, or `WouldBlock` when there is nothing.
    pub fn try_recv(
        &self,
        batch: &mut ReceiveBatch,
        mut each: impl FnMut(&[u8]),
    ) -> io::Result<usize> {
        let ReceiveBatch { buffers, metas } = batch;
        let messages = self.socket.try_io(Interest::READABLE, || {
            let mut slices: Vec<IoSliceMut<'_>> =
                buffers.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            self.state.recv((&self.socket).into(), &mut slices, metas)
        })?;
        let mut count = 0;
        for (meta, buffer) in metas.iter().zip(buffers.iter()).take(messages) {
            let stride = meta.stride.max(1);
            for datagram in buffer[..meta.len].chunks(stride) {
                each(datagram);
                count += 1;
            }
            // An empty datagram is one datagram all the same.
            if meta.len == 0 {
                each(&[]);
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Turns off what `quinn-udp` asks every received datagram to carry
/// besides its bytes (its destination address and its ECN bits, which
/// QUIC wants and a load does not): each would cost the kernel a control
/// message per datagram. Linux only; elsewhere nothing changes.
#[cfg(target_os = "linux")]
fn without_ancillary_data(socket: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let off: libc::c_int = 0;
    let options: &[(libc::c_int, libc::c_int)] = &[
        (libc::IPPROTO_IP, libc::IP_PKTINFO),
        (libc::IPPROTO_IP, libc::IP_RECVTOS),
        (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO),
        (libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS),
    ];
    for &(level, name) in options {
        // SAFETY: a valid socket, and a pointer to an int of the size given.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                level,
                name,
                (&raw const off).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}

/// Nothing to turn off where the platform's batching asks for nothing.
#[cfg(not(target_os = "linux"))]
fn without_ancillary_data(_socket: &UdpSocket) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_of_datagrams_goes_in_one_send_and_comes_back_whole() {
        let echo = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = echo.local_addr().unwrap();
        client.connect(to).await.unwrap();
        let client = BatchSocket::new(client, to).unwrap();
        let from = client.local_addr().unwrap();
        // Ten datagrams of 100 bytes, each its own number, in one send
        // where the platform segments them.
        let contents: Vec<u8> = (0..10u8).flat_map(|n| [n; 100]).collect();
        let per_send = client.segments_per_send(100);
        for chunk in contents.chunks(per_send * 100) {
            loop {
                match client.try_send(chunk, 100) {
                    Ok(()) => break,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        client.writable().await.unwrap()
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
        // The plain socket sees ten datagrams, in order, each whole.
        let mut buf = [0u8; 2048];
        for n in 0..10u8 {
            let (len, sender) = echo.recv_from(&mut buf).await.unwrap();
            assert_eq!((len, sender), (100, from));
            assert!(buf[..len].iter().all(|b| *b == n));
            echo.send_to(&buf[..len], from).await.unwrap();
        }
        // And the batch reads them back, each one whole.
        let mut batch = ReceiveBatch::new();
        let mut seen = Vec::new();
        while seen.len() < 10 {
            client.readable().await.unwrap();
            match client.try_recv(&mut batch, |d| seen.push(d.to_vec())) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        for (n, datagram) in seen.iter().enumerate() {
            assert_eq!(datagram, &vec![n as u8; 100]);
        }
    }
}
