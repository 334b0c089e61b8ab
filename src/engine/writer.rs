//! Writing many buffers to one socket in as few system calls as it takes.

use std::io::{self, IoSlice};

use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Writes `buffers` back to back with vectored writes of their own bytes
/// (no copy): one system call, unless the socket's buffer fills. The system
/// takes at most `IOV_MAX` buffers a call; the rest go in the next.
pub(crate) async fn write_all_vectored<W, B>(writer: &mut W, buffers: &[B]) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
    B: AsRef<[u8]>,
{
    // An empty buffer adds nothing, and a write of nothing but empty ones
    // would look like a closed socket.
    let mut slices: Vec<IoSlice<'_>> = buffers
        .iter()
        .map(AsRef::as_ref)
        .filter(|bytes| !bytes.is_empty())
        .map(IoSlice::new)
        .collect();
    let mut unsent = &mut slices[..];
    while !unsent.is_empty() {
        let written = writer.write_vectored(unsent).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut unsent, written);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_every_buffer_in_order_even_empty_ones_and_many() {
        let buffers: Vec<Vec<u8>> = (0..3000u32)
            .map(|i| {
                if i % 7 == 0 {
                    Vec::new()
                } else {
                    i.to_be_bytes().to_vec()
                }
            })
            .collect();
        let (mut client, mut server) = tokio::io::duplex(1024);
        let expected: Vec<u8> = buffers.concat();
        let reading = tokio::spawn(async move {
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut server, &mut got)
                .await
                .map(|_| got)
        });
        write_all_vectored(&mut client, &buffers).await.unwrap();
        drop(client);
        assert_eq!(reading.await.unwrap().unwrap(), expected);
    }
}
