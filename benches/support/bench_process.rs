//! What the benchmarks that start `framescope serve` share: pinning a
//! thread to a core, and a server child process that is killed when
//! dropped, even when the benchmark panics, so no server outlives it.
//!
//! A benchmark includes it with
//! `#[path = "support/bench_process.rs"] mod bench_process;`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// Pins the calling thread to `core` (named directly: a thread pinned to one
/// core may still move itself to another).
pub fn pin_to(core: usize) {
    assert!(
        core_affinity::set_for_current(core_affinity::CoreId { id: core }),
        "cannot pin to core {core}"
    );
}

/// A child process killed when dropped.
pub struct ChildServer(Child);

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `serve` of the binary `exe` with `args`, listening on a free loopback
/// port, as a child process on the cores this process may use now; the
/// address it listens on.
pub fn serve(exe: &str, args: &[&str]) -> (ChildServer, SocketAddr) {
    let mut child = Command::new(exe)
        .args(["serve", "--quiet", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("framescope serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let child = ChildServer(child);
    let addr = line
        .split_whitespace()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr)
}
