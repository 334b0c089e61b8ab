//! The servers framescope is measured against: a minimal tokio byte echo
//! (the practical limit) and the seed's Python selectors echo server.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The seed's echo server, shipped with framescope so the benchmark runs anywhere.
const SEED_ECHO_SERVER: &str = include_str!("../../../peers/seed_echo_server.py");

/// Starts the reference echo server: plain read and write_all, no parsing.
pub async fn start_reference() -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    Ok((addr, task))
}

/// A server running as a child process, which prints `listening on ADDR`
/// (or `listening on PORT`) as its first line; killed when dropped.
pub struct ChildServer {
    child: Child,
    _dir: Option<tempfile::TempDir>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ChildServer {
    /// Spawns `command` and waits for its listening line. `dir` is kept
    /// alive as long as the server (it holds the script it runs, say).
    pub fn spawn(
        mut command: Command,
        what: &str,
        dir: Option<tempfile::TempDir>,
    ) -> Result<Self, String> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {what} ({e})"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(format!("no output from {what}"));
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        // Keep reading what it prints, so it never meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let listening = line.split_whitespace().nth(2);
        let addr = listening.and_then(|a| a.parse().ok()).or_else(|| {
            listening
                .and_then(|p| p.parse::<u16>().ok())
                .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
        });
        let server = Self {
            child,
            _dir: dir,
            addr: addr.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        };
        match addr {
            Some(_) => Ok(server),
            None => Err(format!("unexpected first line from {what}: {line:?}")),
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The seed's Python server, run with `python3`.
    pub fn python_seed() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let script = dir.path().join("seed_echo_server.py");
        std::fs::write(&script, SEED_ECHO_SERVER).map_err(|e| e.to_string())?;
        let mut command = Command::new("python3");
        command.arg(&script).args(["127.0.0.1", "0"]);
        Self::spawn(command, "python3", Some(dir))
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
