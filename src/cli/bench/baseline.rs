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

/// The seed's Python server, running as a child process.
pub struct PythonServer {
    child: Child,
    _dir: tempfile::TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl PythonServer {
    /// Starts it with `python3`; an error says why (python3 missing, say).
    pub fn start() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let script = dir.path().join("seed_echo_server.py");
        std::fs::write(&script, SEED_ECHO_SERVER).map_err(|e| e.to_string())?;
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["127.0.0.1", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("python3 is not available ({e})"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("no stdout from python3")?;
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let port: u16 = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("unexpected first line from the Python server: {line:?}"))?;
        Ok(Self {
            child,
            _dir: dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
