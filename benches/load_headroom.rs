//! The batching load's headroom: how many frames per second it drives
//! through the bare reference echo server, which is the most any server
//! can be shown to do with this load on this machine.
//!
//! Run with `cargo bench --bench load_headroom`. The echo server runs on
//! core 0 and the load on core 1, 50 connections each keeping 16 frames of
//! the tutorial's protocol in flight (64 bytes of content), for 2 s after a
//! short warm-up. It prints frames/s, MB/s, how busy the load's core was
//! and its CPU time per frame. Both sides do the same work per batch (one
//! read, one write), so with one core each both usually run
//! near 100 %: the rate is then what one core of each can echo, and the
//! load's cost per frame is the number to set beside a server's.

#[path = "support/reference_echo.rs"]
mod reference_echo;

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};

use framescope::engine::reference::batch_load::{self, BatchLoadSpec, LOAD_BOUND_SHARE};
use reference_echo::ReferenceEcho;

const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;
const CONNECTIONS: usize = 50;
const DEPTH: usize = 16;
const CONTENT_LEN: usize = 64;

/// A `text/json` frame of the protocol with `CONTENT_LEN` bytes of content:
/// a search request padded to length.
fn frame() -> Bytes {
    let header = format!(
        r#"{{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": {CONTENT_LEN}}}"#
    );
    let head = r#"{"action": "search", "value": ""#;
    let tail = r#""}"#;
    let mut content = String::from(head);
    content.push_str(&"x".repeat(CONTENT_LEN - head.len() - tail.len()));
    content.push_str(tail);
    assert_eq!(content.len(), CONTENT_LEN);

    let header_len = u16::try_from(header.len()).expect("the header fits a u16");
    let mut frame = BytesMut::with_capacity(2 + header.len() + content.len());
    frame.put_u16(header_len);
    frame.put_slice(header.as_bytes());
    frame.put_slice(content.as_bytes());
    frame.freeze()
}

fn main() -> std::io::Result<()> {
    let echo = ReferenceEcho::start(Some(SERVER_CORE))?;
    let frame = frame();
    let frame_len = frame.len();
    let report = batch_load::run(BatchLoadSpec {
        addr: echo.addr(),
        connections: CONNECTIONS,
        depth: DEPTH,
        frame,
        profile: None,
        duration: Duration::from_secs(2),
        warmup: Duration::from_millis(500),
        core: Some(LOAD_CORE),
    })?;
    drop(echo);

    println!(
        "batching load -> reference echo: {CONNECTIONS} connections x depth {DEPTH}, \
         {frame_len}-byte frames, server on core {SERVER_CORE}, load on core {LOAD_CORE}"
    );
    println!(
        "  {:.0} frames/s, {:.1} MB/s over {:.2} s ({} frames, {} errors)",
        report.frames_per_s(),
        report.bytes_per_s() / 1e6,
        report.elapsed.as_secs_f64(),
        report.frames,
        report.errors,
    );
    match (
        report.load_cpu,
        report.load_cpu_share(),
        report.load_bound(),
    ) {
        (Some(cpu), Some(share), Some(bound)) => println!(
            "  load thread CPU: {:.2} s, {:.0} % of its core, {:.0} ns a frame{}",
            cpu.as_secs_f64(),
            share * 100.0,
            cpu.as_nanos() as f64 / report.frames.max(1) as f64,
            if bound {
                format!(
                    " (load-bound: at or above {:.0} %)",
                    LOAD_BOUND_SHARE * 100.0
                )
            } else {
                String::new()
            },
        ),
        _ => println!("  load thread CPU: not measured on this platform"),
    }
    if report.errors > 0 {
        return Err(std::io::Error::other(format!(
            "{} connections failed",
            report.errors
        )));
    }
    Ok(())
}
