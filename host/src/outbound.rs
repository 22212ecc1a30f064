//! The guard on connections the server opens on someone else's behalf: may we connect to this
//! host, resolved to these addresses? A plugin's webhook URL, later a webhook subscription,
//! names a host that a user chose; without this guard it could point the server at itself
//! (`127.0.0.1:5432`), at the private network behind it, or at the cloud's metadata service
//! (`169.254.169.254`, which hands out credentials), the classic server-side request forgery.
//!
//! The answer is decided on the addresses a name resolves to, after the lookup, and the caller
//! then connects to exactly those addresses ([`resolve_checked`]), never resolving the name
//! again, so a name that resolves to a public address when checked and to a private one when
//! connected (DNS rebinding) gets nowhere. Every address of a name must be allowed, not just
//! one. Loopback, private (RFC 1918), shared (CGNAT, RFC 6598), link-local (and the metadata
//! address in it), unique-local (RFC 4193), multicast, documentation, benchmarking and reserved
//! ranges are refused, as are IPv6 forms that carry one of them inside (IPv4-mapped and
//! -compatible addresses, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), unless the operator's
//! `outbound_allow` setting ([`OutboundAllow`]) names the host or a range holding the address:
//! a relay on the same machine, a chat server on the private network.
//!
//! It knows nothing of plugins or HTTP: which hosts a plugin may name at all is the plugin
//! host's own grant (`plugins::capabilities::outbound`), checked before this.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::net::{Cidr, parse_proxies};

/// The operator's exceptions to the guard: host names (matched whole, case-insensitively) and
/// address ranges that may be reached although they are not public. Parsed from
/// `outbound_allow` (environment `TESSERA_OUTBOUND_ALLOW`): `127.0.0.1, chat.internal,
/// 10.20.0.0/16, fd00::/8`, comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundAllow {
    hosts: Vec<String>,
    ranges: Vec<Cidr>,
}

impl OutboundAllow {
    /// Parses the setting; an entry that is neither an address, a range nor a host name is
    /// refused, naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut allow = OutboundAllow::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let looks_like_address =
                item.contains('/') || item.contains(':') || item.parse::<Ipv4Addr>().is_ok();
            if looks_like_address {
                allow.ranges.extend(parse_proxies(item)?);
            } else if is_host_name(item) {
                allow.hosts.push(normalise_host(item));
            } else {
                return Err(format!(
                    "'{item}' is not a host name, an address or a CIDR range"
                ));
            }
        }
        Ok(allow)
    }

    /// Whether the operator named this host.
    pub fn names_host(&self, host: &str) -> bool {
        let host = normalise_host(host);
        self.hosts.contains(&host)
    }

    /// Whether the operator named a range holding `ip` (an IPv4-mapped IPv6 address counts as
    /// its IPv4 address).
    pub fn holds(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.ranges.iter().any(|range| range.contains(ip))
    }
}

/// What kind of address an address is, as far as the guard cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable on the internet: allowed.
    Public,
    /// `0.0.0.0/8`, `::`: this host (connecting to `0.0.0.0` reaches loopback on Linux).
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16` (RFC 1918), and the IPv6 site-local `fec0::/10`.
    Private,
    /// `100.64.0.0/10`, the carrier-grade NAT range (RFC 6598).
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// The cloud metadata services: `169.254.169.254`, `fd00:ec2::254`, `100.100.100.200`.
    Metadata,
    /// `fc00::/7` (RFC 4193).
    UniqueLocal,
    /// `224.0.0.0/4`, `255.255.255.255`, `ff00::/8`.
    Multicast,
    /// Documentation, benchmarking, protocol-assignment, discard and reserved ranges, which
    /// no honest host lives in.
    Reserved,
}

impl AddressClass {
    /// How a refusal names it.
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Unspecified => "this host (an unspecified address)",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::SharedAddressSpace => "a carrier-grade NAT address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::Metadata => "the cloud metadata service",
            AddressClass::UniqueLocal => "a unique-local address",
            AddressClass::Multicast => "a multicast or broadcast address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

/// Classifies an address, looking inside IPv6 forms that carry an IPv4 address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let ranges: &[([u8; 4], u32, AddressClass)] = &[
        ([169, 254, 169, 254], 32, Metadata),
        ([100, 100, 100, 200], 32, Metadata),
        ([0, 0, 0, 0], 8, Unspecified),
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([100, 64, 0, 0], 10, SharedAddressSpace),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 0, 2, 0], 24, Reserved),
        ([192, 88, 99, 0], 24, Reserved),
        ([198, 18, 0, 0], 15, Reserved),
        ([198, 51, 100, 0], 24, Reserved),
        ([203, 0, 113, 0], 24, Reserved),
        ([224, 0, 0, 0], 4, Multicast),
        ([255, 255, 255, 255], 32, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    ranges
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map_or(Public, |(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let bits = u128::from(ip);
    let within = |network: u128, prefix: u32| {
        let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
        bits & mask == network & mask
    };
    let embedded_v4 = |shift: u32| Ipv4Addr::from((bits >> shift) as u32);
    if bits == 0 {
        return Unspecified;
    }
    if bits == 1 {
        return Loopback;
    }
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        return Metadata;
    }
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated compatible form): the IPv4
    // address is what a connection reaches.
    if within(0xffff_0000_0000, 96) || within(0, 96) {
        return classify_v4(embedded_v4(0));
    }
    // NAT64 (RFC 6052) reaches the embedded IPv4 address through a translator.
    if within(0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        return classify_v4(embedded_v4(0));
    }
    // The local-use NAT64 prefix (RFC 8215) leads into a private network.
    if within(0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48) {
        return Private;
    }
    // 6to4 (RFC 3056) carries the relay's IPv4 address in bits 16..48.
    if within(0x2002_0000_0000_0000_0000_0000_0000_0000, 16) {
        return match classify_v4(embedded_v4(80)) {
            Public => Public,
            _ => Reserved,
        };
    }
    let ranges: &[(u128, u32, AddressClass)] = &[
        (0xfe80 << 112, 10, LinkLocal),
        (0xfec0 << 112, 10, Private),
        (0xfc00 << 112, 7, UniqueLocal),
        (0xff00 << 112, 8, Multicast),
        // Discard-only (RFC 6666), documentation (RFC 3849), and the IETF protocol
        // assignments (Teredo and ORCHID among them, RFC 2928).
        (0x0100 << 112, 64, Reserved),
        (0x2001_0db8 << 96, 32, Reserved),
        (0x2001 << 112, 23, Reserved),
    ];
    ranges
        .iter()
        .find(|(network, prefix, _)| within(*network, *prefix))
        .map_or(Public, |(_, _, class)| *class)
}

/// Why a connection was refused: the host asked for, and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host}: {reason}")]
pub struct Refused {
    pub host: String,
    pub reason: String,
}

impl Refused {
    fn new(host: &str, reason: impl Into<String>) -> Self {
        Refused {
            host: host.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Whether `host`, resolved to `addresses`, may be connected to: every address must be public,
/// or the operator must have named the host or a range holding the address.
pub fn check(host: &str, addresses: &[IpAddr], allow: &OutboundAllow) -> Result<(), Refused> {
    if addresses.is_empty() {
        return Err(Refused::new(host, "it resolves to no address"));
    }
    if allow.names_host(host) {
        return Ok(());
    }
    for address in addresses {
        let class = classify(*address);
        if class != AddressClass::Public && !allow.holds(*address) {
            return Err(Refused::new(
                host,
                format!(
                    "it resolves to {address}, {}, which the server does not connect to \
                     (the operator's outbound_allow setting can let it through)",
                    class.describe()
                ),
            ));
        }
    }
    Ok(())
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The guard said no: nothing was connected to.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The name did not resolve, or no address answered in time.
    #[error("{host}: {reason}")]
    Unreachable { host: String, reason: String },
}

impl OutboundError {
    fn unreachable(host: &str, reason: impl Into<String>) -> Self {
        OutboundError::Unreachable {
            host: host.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Resolves `host` (a name or an address literal, IPv6 with or without brackets) and checks
/// it ([`check`]); the addresses returned, with `port`, are the only ones the caller may
/// connect to. The lookup is given `timeout`.
pub async fn resolve_checked(
    host: &str,
    port: u16,
    allow: &OutboundAllow,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, OutboundError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            if !is_host_name(bare) {
                return Err(Refused::new(host, "it is not a host name").into());
            }
            let lookup = tokio::net::lookup_host((bare, port));
            match tokio::time::timeout(timeout, lookup).await {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(e)) => {
                    return Err(OutboundError::unreachable(
                        host,
                        format!("it cannot be resolved: {e}"),
                    ));
                }
                Err(_) => {
                    return Err(OutboundError::unreachable(
                        host,
                        "resolving it took too long",
                    ));
                }
            }
        }
    };
    let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
    check(host, &ips, allow)?;
    Ok(addresses)
}

/// Resolves and checks `host` ([`resolve_checked`]) and opens a TCP connection to the first of
/// its addresses that answers, all within `timeout`.
pub async fn connect(
    host: &str,
    port: u16,
    allow: &OutboundAllow,
    timeout: Duration,
) -> Result<tokio::net::TcpStream, OutboundError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let addresses = resolve_checked(host, port, allow, timeout).await?;
    let mut last = String::from("no address answered");
    for address in addresses {
        match tokio::time::timeout_at(deadline, tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = format!("{address}: {e}"),
            Err(_) => return Err(OutboundError::unreachable(host, "connecting took too long")),
        }
    }
    Err(OutboundError::unreachable(host, last))
}

/// A DNS name: labels of letters, digits, `-` and `_`, at most 253 characters.
pub fn is_host_name(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A host as compared: lower case, without a trailing dot or IPv6 brackets.
pub fn normalise_host(host: &str) -> String {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn class(text: &str) -> AddressClass {
        classify(text.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges_are_classified() {
        use AddressClass::*;
        for (address, expected) in [
            ("8.8.8.8", Public),
            ("93.184.216.34", Public),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("172.32.0.1", Public),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("100.128.0.1", Public),
            ("169.254.0.1", LinkLocal),
            ("169.254.169.254", Metadata),
            ("100.100.100.200", Metadata),
            ("224.0.0.1", Multicast),
            ("255.255.255.255", Multicast),
            ("240.0.0.1", Reserved),
            ("192.0.2.1", Reserved),
            ("198.18.0.1", Reserved),
            ("203.0.113.9", Reserved),
        ] {
            assert_eq!(class(address), expected, "{address}");
        }
    }

    #[test]
    fn ipv6_ranges_and_embedded_ipv4_are_classified() {
        use AddressClass::*;
        for (address, expected) in [
            ("2606:4700:4700::1111", Public),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("fec0::1", Private),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("fd00:ec2::254", Metadata),
            ("ff02::1", Multicast),
            ("2001:db8::1", Reserved),
            ("2001::1", Reserved),
            ("100::1", Reserved),
            // IPv4-mapped and -compatible forms are what they carry.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", Metadata),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Loopback),
            // NAT64 reaches the IPv4 address inside.
            ("64:ff9b::7f00:1", Loopback),
            ("64:ff9b::808:808", Public),
            ("64:ff9b:1::1", Private),
            // 6to4 of a private relay address.
            ("2002:c0a8:0101::1", Reserved),
            ("2002:0808:0808::1", Public),
        ] {
            assert_eq!(class(address), expected, "{address}");
        }
    }

    #[test]
    fn every_address_must_be_allowed_unless_the_operator_says_otherwise() {
        let none = OutboundAllow::default();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(check("example.org", &[public], &none).is_ok());
        let refused = check("example.org", &[public, loopback], &none).unwrap_err();
        assert_eq!(refused.host, "example.org");
        assert!(
            refused.reason.contains("127.0.0.1, a loopback address"),
            "{refused}"
        );
        assert!(check("example.org", &[], &none).is_err());

        let allow = OutboundAllow::parse("127.0.0.1, relay.internal, 10.20.0.0/16").unwrap();
        assert!(check("localhost", &[loopback], &allow).is_ok());
        assert!(check("relay.internal", &["10.9.9.9".parse().unwrap()], &allow).is_ok());
        assert!(check("RELAY.internal.", &["10.9.9.9".parse().unwrap()], &allow).is_ok());
        assert!(check("other", &["10.20.3.4".parse().unwrap()], &allow).is_ok());
        assert!(check("other", &["10.21.3.4".parse().unwrap()], &allow).is_err());
        // A mapped address is held by the IPv4 range that holds what it carries.
        assert!(check("other", &["::ffff:127.0.0.1".parse().unwrap()], &allow).is_ok());
        let metadata = check("x", &["169.254.169.254".parse().unwrap()], &allow).unwrap_err();
        assert!(metadata.reason.contains("metadata"), "{metadata}");
    }

    #[test]
    fn the_setting_is_parsed_and_nonsense_refused() {
        assert_eq!(OutboundAllow::parse("").unwrap(), OutboundAllow::default());
        let allow = OutboundAllow::parse(" ::1 , fd00::/8,Chat.Example.org ").unwrap();
        assert!(allow.holds("::1".parse().unwrap()));
        assert!(allow.holds("fd00::5".parse().unwrap()));
        assert!(allow.names_host("chat.example.org"));
        assert!(OutboundAllow::parse("http://x").is_err());
        assert!(OutboundAllow::parse("10.0.0.0/33").is_err());
        assert!(OutboundAllow::parse("not a host").is_err());
    }

    #[tokio::test]
    async fn names_are_checked_on_what_they_resolve_to() {
        let none = OutboundAllow::default();
        let refused = resolve_checked("localhost", 80, &none, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, OutboundError::Refused(r) if r.reason.contains("loopback")),
            "{refused}"
        );
        let refused = resolve_checked("[::1]", 80, &none, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, OutboundError::Refused(r) if r.host == "[::1]"),
            "{refused}"
        );
        let allow = OutboundAllow::parse("127.0.0.1").unwrap();
        let found = resolve_checked("127.0.0.1", 8080, &allow, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(found, ["127.0.0.1:8080".parse().unwrap()]);
        assert!(
            resolve_checked("no space", 80, &allow, Duration::from_secs(5))
                .await
                .is_err()
        );
        // Allowed, and connected to: a listener on loopback.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = connect("127.0.0.1", port, &allow, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        assert!(
            matches!(
                connect("127.0.0.1", port, &none, Duration::from_secs(5)).await,
                Err(OutboundError::Refused(_))
            ),
            "refused before connecting"
        );
    }
}
