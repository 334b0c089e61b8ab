//! Where to connect: an address, or a host name and a port that are looked
//! up when connecting (never on a viewer's thread), every address the name
//! resolves to tried in turn.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use tokio::net::TcpStream;

/// A place to connect to, as a person typed it: `127.0.0.1:8800`,
/// `[::1]:8800`, `localhost:8800` or `example.com:443`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Target {
    host: String,
    port: u16,
}

/// Why a target cannot be read or reached.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Nothing was typed.
    #[error("enter a target such as 127.0.0.1:8800 or localhost:8800")]
    Empty,
    /// No `:port` at the end.
    #[error("\"{0}\" has no port: write it as host:port, e.g. localhost:8800")]
    NoPort(String),
    /// The port is not a number from 0 to 65535.
    #[error("\"{0}\" is not a port (0 to 65535)")]
    BadPort(String),
    /// An IPv6 address without brackets, or a host with characters no
    /// host name has.
    #[error("\"{0}\" is not a host: write an IPv6 address in brackets, e.g. [::1]:8800")]
    BadHost(String),
    /// The name could not be looked up.
    #[error("cannot resolve {name}: {source}")]
    Resolve {
        /// The name asked for.
        name: String,
        /// What the resolver said.
        source: io::Error,
    },
    /// The name resolved to no address.
    #[error("{0} resolves to no address")]
    NoAddress(String),
    /// Every address was tried and none accepted in time.
    #[error("cannot connect to {name}: {}", .attempts.iter().map(|(a, e)| format!("{a}: {e}")).collect::<Vec<_>>().join("; "))]
    Connect {
        /// The target as typed.
        name: String,
        /// Each address tried, and why it failed.
        attempts: Vec<(SocketAddr, io::Error)>,
    },
}

impl Target {
    /// The host as typed (a name, or an IP address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address itself when the host is an IP address: no lookup needed.
    pub fn ip_addr(&self) -> Option<SocketAddr> {
        self.host
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Every address the target stands for, in the resolver's order.
    pub async fn resolve(&self) -> Result<Vec<SocketAddr>, TargetError> {
        if let Some(addr) = self.ip_addr() {
            return Ok(vec![addr]);
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|source| TargetError::Resolve {
                name: self.host.clone(),
                source,
            })?
            .collect();
        if found.is_empty() {
            return Err(TargetError::NoAddress(self.host.clone()));
        }
        Ok(found)
    }

    /// [`Target::resolve`], given up after `timeout` (a resolver that does
    /// not answer must not hold a connect forever).
    pub async fn resolve_within(&self, timeout: Duration) -> Result<Vec<SocketAddr>, TargetError> {
        match tokio::time::timeout(timeout, self.resolve()).await {
            Ok(result) => result,
            Err(_) => Err(TargetError::Resolve {
                name: self.host.clone(),
                source: io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer in {} s", timeout.as_secs_f64()),
                ),
            }),
        }
    }

    /// Connects to the first of `addrs` that accepts within `timeout` each,
    /// trying them in turn.
    pub async fn connect_any(
        &self,
        addrs: &[SocketAddr],
        timeout: Duration,
    ) -> Result<TcpStream, TargetError> {
        let mut attempts = Vec::new();
        for &addr in addrs {
            match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(error)) => attempts.push((addr, error)),
                Err(_) => attempts.push((
                    addr,
                    io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no answer in {} s", timeout.as_secs_f64()),
                    ),
                )),
            }
        }
        Err(TargetError::Connect {
            name: self.to_string(),
            attempts,
        })
    }

    /// Resolves the target and connects to the first address that accepts.
    pub async fn connect(&self, timeout: Duration) -> Result<TcpStream, TargetError> {
        let addrs = self.resolve().await?;
        self.connect_any(&addrs, timeout).await
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TargetError::Empty);
        }
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(addr.into());
        }
        // `[::1]` alone: the colons are the address's, not a port's.
        if text.starts_with('[') && text.ends_with(']') {
            return Err(TargetError::NoPort(text.to_owned()));
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err(TargetError::NoPort(text.to_owned()));
        };
        let port = port
            .parse::<u16>()
            .map_err(|_| TargetError::BadPort(port.to_owned()))?;
        // A bracketed host that did not parse as a socket address above is
        // not an IPv6 address.
        let name_like = !host.starts_with('[')
            && !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !name_like {
            return Err(TargetError::BadHost(host.to_owned()));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }
}

impl TryFrom<String> for Target {
    type Error = TargetError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Target> for String {
    fn from(target: Target) -> Self {
        target.to_string()
    }
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Self {
        Self {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_names_are_read_and_shown_as_typed() {
        for text in [
            "127.0.0.1:8800",
            "[::1]:8800",
            "localhost:8800",
            "example.com:443",
        ] {
            let target: Target = text.parse().expect(text);
            assert_eq!(target.to_string(), text);
        }
        assert_eq!(
            "[::1]:9".parse::<Target>().unwrap().ip_addr(),
            Some("[::1]:9".parse().unwrap())
        );
        assert_eq!("localhost:9".parse::<Target>().unwrap().ip_addr(), None);
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        let error = |text: &str| text.parse::<Target>().unwrap_err().to_string();
        assert!(error("").contains("enter a target"));
        assert!(error("localhost").contains("has no port"));
        assert!(error("[::1]").contains("has no port"));
        assert!(error("localhost:99999").contains("not a port"));
        assert!(error("::1:80").contains("brackets"));
        assert!(error("[nope]:80").contains("not a host"));
        assert!(error("a b:80").contains("not a host"));
    }

    #[tokio::test]
    async fn localhost_resolves_and_every_address_is_tried() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target: Target = format!("localhost:{port}").parse().unwrap();
        // localhost may resolve to ::1 first, where nothing listens: the
        // connection still succeeds on 127.0.0.1.
        let stream = target
            .connect(Duration::from_secs(5))
            .await
            .expect("connects");
        assert_eq!(stream.peer_addr().unwrap().port(), port);
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_named_in_the_error() {
        let target: Target = "nosuchhost.invalid:80".parse().unwrap();
        let error = target
            .resolve_within(Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, TargetError::Resolve { name, .. } if name == "nosuchhost.invalid"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("cannot resolve nosuchhost.invalid: "),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_refused_target_names_each_address_tried() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let target: Target = format!("127.0.0.1:{port}").parse().unwrap();
        let error = target.connect(Duration::from_secs(5)).await.unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(&format!("cannot connect to 127.0.0.1:{port}")),
            "{text}"
        );
        assert!(text.contains(&format!("127.0.0.1:{port}: ")), "{text}");
    }
}
