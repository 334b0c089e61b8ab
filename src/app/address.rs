//! Reading the server's listening address from what a person typed, with an
//! error that says how to fix it. No name lookup happens here (that would be
//! I/O on the UI thread), so only IP addresses and `localhost` are accepted.
//! (The client's target takes names too: see [`crate::engine::Target`].)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::app::i18n::{tr, tr_with};
use crate::engine::Target;

/// Whether `target` is the address `listen` (a server of this window
/// listening there): the same address and port, `localhost` for
/// 127.0.0.1, or any loopback address when it listens on all interfaces.
pub fn reaches(target: &Target, listen: SocketAddr) -> bool {
    if listen.port() == 0 || target.port() != listen.port() {
        return false;
    }
    let ip = match target.ip_addr() {
        Some(addr) => addr.ip(),
        None if target.host().eq_ignore_ascii_case("localhost") => {
            IpAddr::from(Ipv4Addr::LOCALHOST)
        }
        None => return false,
    };
    ip == listen.ip() || (listen.ip().is_unspecified() && ip.is_loopback())
}

/// Parses `host:port`, where host is an IPv4 address, a bracketed IPv6
/// address or `localhost`.
pub fn parse(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(tr("app-address-empty"));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        return port
            .parse::<u16>()
            .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .map_err(|_| tr_with("app-address-bad-port", &[("port", port.into())]));
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(tr_with("app-address-no-port", &[("text", text.into())]));
    };
    if port.parse::<u16>().is_err() {
        return Err(tr_with("app-address-bad-port", &[("port", port.into())]));
    }
    if host.contains(':') && !host.starts_with('[') {
        return Err(tr_with(
            "app-address-ipv6-brackets",
            &[("host", host.into()), ("port", port.into())],
        ));
    }
    Err(tr_with("app-address-not-ip", &[("host", host.into())]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ip_addresses_and_localhost() {
        assert_eq!(parse(" 127.0.0.1:8800 ").unwrap().port(), 8800);
        assert!(parse("[::]:0").unwrap().ip().is_unspecified());
        assert_eq!(
            parse("localhost:9").unwrap(),
            "127.0.0.1:9".parse().unwrap()
        );
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(parse("").unwrap_err().contains("enter an address"));
        assert!(parse("127.0.0.1").unwrap_err().contains("no port"));
        assert!(parse("127.0.0.1:99999").unwrap_err().contains("not a port"));
        assert!(parse("example.com:80").unwrap_err().contains("not an IP"));
        assert!(parse("::1:80").unwrap_err().contains("brackets"));
    }
}
