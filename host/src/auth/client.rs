//! The client's address: the connection's peer, or, when the peer is a configured reverse
//! proxy, the last address in `X-Forwarded-For` that is not one of those proxies. A header
//! from anyone else is ignored, so a client cannot pick the address it is throttled by.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::Config;

/// An address range: `10.0.0.0/8`, `::1/128`, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Parses the `trusted_proxies` setting.
pub fn parse_proxies(text: &str) -> Result<Vec<Cidr>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (addr, prefix) = match item.split_once('/') {
                Some((addr, prefix)) => (addr, Some(prefix)),
                None => (item, None),
            };
            let network: IpAddr = addr
                .parse()
                .map_err(|_| format!("'{item}' is not an address or CIDR range"))?;
            let max = if network.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("'{item}' has a bad prefix length"))?,
                None => max,
            };
            Ok(Cidr { network, prefix })
        })
        .collect()
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ranges_contain_their_addresses_only() {
        let ranges = parse_proxies("10.0.0.0/8, ::1, 2001:db8::/32").unwrap();
        assert!(ranges[0].contains("10.1.2.3".parse().unwrap()));
        assert!(!ranges[0].contains("11.1.2.3".parse().unwrap()));
        assert!(ranges[1].contains("::1".parse().unwrap()));
        assert!(ranges[2].contains("2001:db8:5::1".parse().unwrap()));
        assert!(!ranges[2].contains("2001:db9::1".parse().unwrap()));
        assert!(parse_proxies("10.0.0.0/33").is_err());
        assert!(parse_proxies("example.org").is_err());
    }
}
