//! Real servers that nobody here wrote, started on a free loopback port
//! for one test and stopped when it ends. A server that is not installed
//! fails the test, naming the package to install.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A redis-server of its own on a free loopback port, stopped when dropped.
pub struct Redis {
    process: Child,
    /// Where it listens, on 127.0.0.1.
    pub port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Starts redis-server (nobody here wrote it) on loopback, with no
/// persistence; fails naming it when it is not installed.
pub fn redis_server() -> Redis {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "redis-server cannot be run ({error}): this test talks to a real Redis. \
                 Install it (Debian: `apt-get install redis-server`)"
            )
        });
    let redis = Redis { process, port };
    let start = std::time::Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "redis-server did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    redis
}
