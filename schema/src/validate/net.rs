//! Syntaxes of values: addresses, subnets, URLs, durations, scores, ids.
//!
//! Pure predicates, shared by the validators and usable by renderers.

use std::net::IpAddr;

/// An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
pub fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        // All-numeric dotted names are mistyped IPs (`10.77.0.300`), not DNS names.
        && !s.split('.').all(|l| l.chars().all(|c| c.is_ascii_digit()))
}

/// A virtual host's `ServerName` as httpd matches it against `Host`: an IP address, or
/// dot-separated labels of letters, digits, `-` and `_` (names in the wild, and
/// placeholders such as `YOUR_SERVER_FQDN`, use underscores), optionally `*.` first.
pub fn is_server_name(s: &str) -> bool {
    let name = s.strip_prefix("*.").unwrap_or(s);
    is_address(name)
        || (name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
            && !name
                .split('.')
                .all(|l| l.chars().all(|c| c.is_ascii_digit())))
}

/// An IP address or a DNS name a host can be reached at.
pub fn is_address(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok() || is_hostname(s)
}

/// Whether `addr` lies in `net`/`prefix` (both the same IP family).
/// `ADDRESS:PORT` of a `peer` line: an IP (IPv6 in brackets) or DNS name, port 1-65535.
pub fn is_peer_address(s: &str) -> bool {
    let Some((host, port)) = s.rsplit_once(':') else {
        return false;
    };
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => return v6.parse::<std::net::Ipv6Addr>().is_ok() && port_ok(port),
        None => host,
    };
    !host.contains(':') && is_address(host) && port_ok(port)
}

fn port_ok(p: &str) -> bool {
    p.parse::<u16>().is_ok_and(|p| p > 0)
}

pub fn in_subnet(net: IpAddr, prefix: u8, addr: IpAddr) -> bool {
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// `http://` or `https://` followed by a host (and optionally port and path).
pub fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"));
    rest.is_some_and(is_url_rest)
}

/// What mod_proxy forwards a route to: an http(s) URL, or a WebSocket one (`ws://`,
/// `wss://`, mod_proxy_wstunnel).
pub fn is_proxy_url(s: &str) -> bool {
    is_http_url(s)
        || is_balancer_url(s)
        || s.strip_prefix("ws://")
            .or_else(|| s.strip_prefix("wss://"))
            .is_some_and(is_url_rest)
}

/// `balancer://NAME[/path]`: a mod_proxy_balancer group (its members in a
/// `<Proxy balancer://NAME>` section).
pub fn is_balancer_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("balancer://") else {
        return false;
    };
    let name = rest.split('/').next().unwrap_or_default();
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A URL's part after `scheme://`: a host, an optional port, an optional path.
fn is_url_rest(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()) => {
            if p.parse::<u16>().map_or(true, |p| p == 0) {
                return false;
            }
            h
        }
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    is_address(host)
}

fn number_then_unit(s: &str) -> Option<&str> {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    (digits > 0).then(|| &s[digits..])
}

/// HAProxy time format: `<number>[us|ms|s|m|h|d]` (no unit: milliseconds).
pub fn is_haproxy_duration(s: &str) -> bool {
    number_then_unit(s).is_some_and(|u| matches!(u, "" | "us" | "ms" | "s" | "m" | "h" | "d"))
}

/// Pacemaker interval/timeout: a number with an optional unit.
pub fn is_pcmk_duration(s: &str) -> bool {
    number_then_unit(s).is_some_and(|u| {
        matches!(
            u,
            "" | "us" | "usec" | "ms" | "msec" | "s" | "sec" | "m" | "min" | "h" | "hr"
        )
    })
}

/// Pacemaker score: `INFINITY`, `+INFINITY`, `-INFINITY` or an integer.
pub fn is_score(s: &str) -> bool {
    matches!(s, "INFINITY" | "+INFINITY" | "-INFINITY")
        || s.strip_prefix(['-', '+'])
            .unwrap_or(s)
            .parse::<u64>()
            .is_ok()
}

/// An XML ID as the CIB accepts it: a letter or `_`, then letters, digits, `_`, `-`, `.`.
pub fn is_xml_id(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '-' | '.'))
}

/// A Kubernetes DNS-1123 label (names of Apps, namespaces).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(is_address("10.77.0.10"));
        assert!(is_address("::1"));
        assert!(is_address("ha1.example.org"));
        assert!(!is_address("10.77.0.300"));
        assert!(!is_address("bad host"));
        assert!(!is_address(""));
    }

    #[test]
    fn subnets() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_subnet(a("10.77.0.100"), 24, a("10.77.0.11")));
        assert!(!in_subnet(a("10.77.1.100"), 24, a("10.77.0.11")));
        assert!(in_subnet(a("10.77.1.100"), 0, a("192.168.0.1")));
        assert!(!in_subnet(a("10.77.0.100"), 24, a("::1")));
    }

    #[test]
    fn urls() {
        assert!(is_http_url("http://10.77.0.100/auth"));
        assert!(is_http_url("https://kc.example.org:8443"));
        assert!(!is_http_url("ftp://x"));
        assert!(!is_http_url("http://"));
        assert!(!is_http_url("http://host:0/"));
        assert!(!is_http_url("10.77.0.100/auth"));
        assert!(!is_http_url("ws://10.0.0.1:8080/ws/"));
        assert!(is_proxy_url("ws://10.0.0.1:8080/ws/"));
        assert!(is_proxy_url("wss://chat.example.org/socket"));
        assert!(is_proxy_url("http://10.77.0.100/auth"));
        assert!(!is_proxy_url("ws://"));
        assert!(!is_proxy_url("ftp://x"));
        assert!(is_proxy_url("balancer://mycluster/"));
        assert!(is_balancer_url("balancer://web_1"));
        assert!(!is_balancer_url("balancer:///x"));
        assert!(!is_balancer_url("balancer://a b"));
    }

    #[test]
    fn durations_scores_ids() {
        assert!(is_haproxy_duration("5s") && is_haproxy_duration("500"));
        assert!(
            !is_haproxy_duration("5 s")
                && !is_haproxy_duration("5sec")
                && !is_haproxy_duration("s")
        );
        assert!(is_pcmk_duration("1min") && !is_pcmk_duration("ten"));
        assert!(is_score("INFINITY") && is_score("-100") && !is_score("inf"));
        assert!(is_xml_id("vip-1") && !is_xml_id("1vip") && !is_xml_id("a b"));
        assert!(is_dns_label("keycloak") && !is_dns_label("Keycloak"));
    }
}
