//! The client's address, as the transport sees it: the connection's peer, or, when the peer is a configured reverse
//! proxy, the last address in `X-Forwarded-For` that is not one of those proxies. A header
//! from anyone else is ignored, so a client cannot pick the address it is throttled by.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::Config;
use crate::links::Visitor;
use crate::net::parse_proxies;

/// The address the request comes from, as far as it can be trusted (logs keep it as
/// [`Config::logged_address`] says).
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

/// Who is asking, for a link's throttle and access log: the address as far as it can be
/// trusted, as logs keep it, and the user agent (cut to 300 characters).
pub fn visitor(req: &HttpRequest, config: &Config) -> Visitor {
    let address = address(req, config);
    Visitor {
        address,
        logged_address: config.logged_address(address),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(300).collect()),
    }
}

/// The address a connection reached on this server (its socket's own address): what a link
/// is given out at when no `public_url` is configured, since no client can forge it.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddress(pub std::net::SocketAddr);
