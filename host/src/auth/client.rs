//! The client's address: the connection's peer, or, when the peer is a configured reverse
//! proxy, the last address in `X-Forwarded-For` that is not one of those proxies. A header
//! from anyone else is ignored, so a client cannot pick the address it is throttled by.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::Config;
use crate::net::parse_proxies;

/// The address the request comes from, as far as it can be trusted.
pub fn address(req: &HttpRequest, config: &Config) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let proxies = parse_proxies(&config.trusted_proxies).unwrap_or_default();
    if !proxies.iter().any(|p| p.contains(peer)) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // Walk back from the nearest hop; the first address not a proxy is the client.
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !proxies.iter().any(|p| p.contains(*ip)))
            .unwrap_or(peer),
    )
}

/// Whether the connection comes from one of `trusted_proxies`, whose forwarded headers are
/// believed; anyone else's are not.
pub fn from_trusted_proxy(req: &HttpRequest, config: &Config) -> bool {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return false;
    };
    parse_proxies(&config.trusted_proxies)
        .unwrap_or_default()
        .iter()
        .any(|p| p.contains(peer))
}

/// The address as logs keep it: cut to its /24 or /48 unless the operator asked for more.
pub fn for_log(address: Option<IpAddr>, config: &Config) -> Option<String> {
    let address = address?;
    if config.log_full_addresses {
        return Some(address.to_string());
    }
    Some(match address {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    })
}
