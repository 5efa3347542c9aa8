//! Which addresses Hybrid may send to. A webhook URL comes from a user, so without this check
//! "deliver to http://169.254.169.254/" or "http://localhost:6379/" would turn the server into
//! a proxy into its own network (SSRF). The rule is applied to every address a name resolves
//! to and to every redirect, not to the URL's text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Where requests may go: the public internet, plus what the operator opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Every address, private ones included (a test, or a server whose webhooks all live on
    /// an intranet).
    pub allow_private: bool,
    /// Private networks that may be reached anyway, e.g. `["10.20.0.0/16"]` for one
    /// internal service.
    pub allow_networks: Vec<IpNet>,
}

impl AddressPolicy {
    /// Any address at all.
    pub fn allow_all() -> Self {
        AddressPolicy {
            allow_private: true,
            allow_networks: Vec::new(),
        }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip) || self.allow_networks.iter().any(|net| net.contains(&ip))
    }
}

/// Whether `ip` is an ordinary address on the internet: not loopback, private, link-local
/// (cloud metadata lives there), carrier-grade NAT, multicast, documentation or reserved, and
/// not one of those wrapped in an IPv6 form (mapped, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    match segments {
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address inside them
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => is_public_v4(embedded_v4(hi, lo)),
        [0x2002, hi, lo, ..] => is_public_v4(embedded_v4(hi, lo)),
        _ => {
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // unique local
                || (segments[0] & 0xffc0) == 0xfe80 // link-local
                || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
                || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_the_internet_is_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(private)), "{private} must not count as public");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn operators_open_networks_or_everything() {
        let closed = AddressPolicy::default();
        assert!(!closed.allows(ip("10.20.1.1")));
        let one_net = AddressPolicy {
            allow_private: false,
            allow_networks: vec!["10.20.0.0/16".parse().unwrap()],
        };
        assert!(one_net.allows(ip("10.20.1.1")));
        assert!(!one_net.allows(ip("10.21.1.1")));
        assert!(one_net.allows(ip("1.1.1.1")));
        assert!(AddressPolicy::allow_all().allows(ip("127.0.0.1")));
    }
}
