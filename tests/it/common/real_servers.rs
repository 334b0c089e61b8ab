//! Real servers that nobody here wrote (redis-server, mosquitto, dnsmasq,
//! a pymodbus server), and the CRC peer of `peers/` that checks what the
//! profiles compose, each started on a free loopback port for one test and
//! stopped when it ends. A server that is not installed fails the test,
//! naming the package to install.

// The window's tests include this file too, and use only Redis.
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server of its own on a free loopback port, stopped when dropped.
pub struct Server {
    process: Child,
    /// Where it listens, on 127.0.0.1.
    pub port: u16,
    /// Files the server reads while it runs (a configuration), removed
    /// after it stops.
    _files: Vec<tempfile::NamedTempFile>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Starts redis-server (nobody here wrote it) on loopback, with no
/// persistence; fails naming it when it is not installed.
pub fn redis_server() -> Server {
    let port = free_port();
    let mut command = daemon("redis-server");
    command
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"]);
    start(
        "redis-server",
        " This test talks to a real Redis (Debian: `apt-get install redis-server`).",
        command,
        port,
        Vec::new(),
    )
}

/// Starts mosquitto, an MQTT broker nobody here wrote, on loopback: no
/// persistence, anonymous clients allowed.
pub fn mosquitto() -> Server {
    let port = free_port();
    let mut config = tempfile::NamedTempFile::new().unwrap();
    write!(
        config,
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
    )
    .unwrap();
    config.flush().unwrap();
    let mut command = daemon("mosquitto");
    command.arg("-c").arg(config.path());
    start(
        "mosquitto",
        " This test talks to a real MQTT broker (Debian: `apt-get install mosquitto`).",
        command,
        port,
        vec![config],
    )
}

/// Starts dnsmasq, a DNS server nobody here wrote, on loopback (TCP and
/// UDP), answering `fs.test` with the address 127.0.0.7, and nothing it
/// would have to ask another server.
pub fn dnsmasq() -> Server {
    let port = free_port();
    let mut command = daemon("dnsmasq");
    command.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        &format!("--port={port}"),
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--pid-file=",
        "--address=/fs.test/127.0.0.7",
        "--log-facility=-",
    ]);
    start(
        "dnsmasq",
        " This test talks to a real DNS server (Debian: `apt-get install dnsmasq-base`; \
         the `dnsmasq` package also starts a system resolver).",
        command,
        port,
        Vec::new(),
    )
}

/// Starts a Modbus TCP server from pymodbus (`peers/modbus_server.py`):
/// holding registers 17, 42, 7, 9, then zeros, from address 0.
pub fn modbus_server() -> Server {
    let port = free_port();
    let mut command = python("modbus_server.py");
    command.arg(port.to_string());
    start(
        "the pymodbus server (peers/modbus_server.py)",
        " It needs python3 and pymodbus: `python3 -m pip install 'pymodbus==3.16.1'` \
         (Debian: `apt-get install python3 python3-pymodbus`).",
        command,
        port,
        Vec::new(),
    )
}

/// Starts the CRC peer (`peers/crc_peer.py`): it answers each stx-crc frame
/// with an echo, a bad CRC with `nak`, and `corrupt` with a CRC of zero.
pub fn crc_peer() -> Server {
    let port = free_port();
    let mut command = python("crc_peer.py");
    command.arg(port.to_string());
    start(
        "the CRC peer (peers/crc_peer.py)",
        " It needs python3 (Debian: `apt-get install python3`).",
        command,
        port,
        Vec::new(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The command that runs `program`: from PATH, or else from where Debian
/// puts daemons (`/usr/sbin`, which a non-root PATH lacks). One found in
/// neither is left to PATH, to fail when spawned.
fn daemon(program: &str) -> Command {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    let sbin = ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        .map(|dir| Path::new(dir).join(program))
        .into_iter()
        .find(|candidate| candidate.is_file());
    match sbin {
        Some(path) if !on_path => Command::new(path),
        _ => Command::new(program),
    }
}

/// python3 running a script from `peers/`.
fn python(script: &str) -> Command {
    let mut command = Command::new("python3");
    command.arg(format!("{}/peers/{script}", env!("CARGO_MANIFEST_DIR")));
    command
}

/// Spawns `command` with its output kept in a file, and waits up to 10 s
/// for `port` to accept (pymodbus alone takes a second or two to import).
/// A server that cannot be run, exits or never listens fails the test with
/// `needs` (what it needs and how to install it: a sentence after a space)
/// and what it wrote.
fn start(
    name: &str,
    needs: &str,
    mut command: Command,
    port: u16,
    files: Vec<tempfile::NamedTempFile>,
) -> Server {
    let mut log = tempfile::tempfile().unwrap();
    let process = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log.try_clone().unwrap())
        .spawn()
        .unwrap_or_else(|error| panic!("{name} cannot be run ({error}).{needs}"));
    let mut server = Server {
        process,
        port,
        _files: files,
    };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let exited = server.process.try_wait().unwrap();
        if exited.is_some() || start.elapsed() > Duration::from_secs(10) {
            let _ = server.process.kill();
            let _ = server.process.wait();
            panic!(
                "{name} did not listen on 127.0.0.1:{port} ({}).{needs}\nIt wrote:\n{}",
                match exited {
                    Some(status) => format!("it exited, {status}"),
                    None => "for 10 s".to_string(),
                },
                written(&mut log)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

fn written(log: &mut File) -> String {
    let mut text = String::new();
    let _ = log.rewind();
    let _ = log.read_to_string(&mut text);
    text
}
