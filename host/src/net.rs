//! Address ranges (`10.0.0.0/8`, `::1`), as the `trusted_proxies` setting names them: read
//! once when the configuration is checked, and by the code that decides which forwarded
//! headers to believe (`auth::client`). A foundation of its own so that the configuration can
//! check the setting without knowing anything of sign-in.

use std::net::IpAddr;

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
