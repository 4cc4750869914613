//! The gateway's health check, run on the host around its reload: it decides
//! whether a change stays or is rolled back. Every route is probed over HTTPS on
//! the host itself, before and after the change. Apache must answer every route,
//! and a route that answered below 500 before must still do so — an upstream that
//! was already down is not the gateway change's fault.

use crate::exec::sh_quote;
use schema::GatewaySpec;
use std::collections::BTreeMap;

/// Script printing `<code> <url>` for every route of the gateway (code 000 = no answer).
pub fn gateway_probe_script(spec: &GatewaySpec) -> String {
    let mut s = String::from(
        "command -v curl >/dev/null 2>&1 || { echo 'curl is not installed' >&2; exit 2; }\n",
    );
    for v in &spec.vhosts {
        // Virtual hosts are addressed by name: one without a name is not probed.
        let Some(name) = v.server_name.as_deref() else {
            continue;
        };
        let tls = v.tls.is_some();
        let port = v.port.unwrap_or(if tls { 443 } else { 80 });
        let scheme = if tls { "https" } else { "http" };
        // A virtual host bound to an address of the host answers there, not on loopback.
        let ip = v
            .addresses
            .iter()
            .filter_map(|a| a.rsplit_once(':')?.0.parse::<std::net::IpAddr>().ok())
            .next()
            .map_or("127.0.0.1".to_string(), |ip| ip.to_string());
        for r in &v.routes {
            let path = if r.path.ends_with('/') {
                r.path.clone()
            } else {
                format!("{}/", r.path)
            };
            let url = format!("{scheme}://{name}:{port}{path}");
            s.push_str(&format!(
                "c=$(curl -sk -o /dev/null -w '%{{http_code}}' --max-time 5 --resolve {resolve} {url}) || true; echo \"${{c:-000}} {url_raw}\"\n",
                resolve = sh_quote(&format!("{name}:{port}:{ip}")),
                url = sh_quote(&url),
                url_raw = url,
            ));
        }
    }
    s
}

/// Parses the probe output into url → status code.
pub fn parse_probe(out: &str) -> BTreeMap<String, u16> {
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(c, u)| c.parse().ok().map(|c| (u.to_string(), c)))
        .collect()
}

/// Judges the gateway after a change. `Err` lists the regressions; `Ok` may carry warnings.
pub fn judge_gateway(
    before: &BTreeMap<String, u16>,
    after: &BTreeMap<String, u16>,
) -> Result<Vec<String>, String> {
    let mut bad = Vec::new();
    let mut warnings = Vec::new();
    for (url, &code) in after {
        let was = before.get(url).copied();
        if code == 0 {
            bad.push(format!("{url}: no answer"));
        } else if code >= 500 && was.is_some_and(|w| w != 0 && w < 500) {
            bad.push(format!("{url}: {code} (was {})", was.unwrap_or_default()));
        } else if code >= 500 {
            warnings.push(format!("{url}: {code} (upstream not answering yet)"));
        }
    }
    if bad.is_empty() {
        Ok(warnings)
    } else {
        Err(bad.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, u16)]) -> BTreeMap<String, u16> {
        pairs.iter().map(|(u, c)| (u.to_string(), *c)).collect()
    }

    #[test]
    fn a_route_that_worked_must_keep_working() {
        let before = m(&[("https://a/app/", 200), ("https://a/auth/", 503)]);
        assert_eq!(
            judge_gateway(
                &before,
                &m(&[("https://a/app/", 200), ("https://a/auth/", 503)])
            )
            .unwrap()
            .len(),
            1
        );
        assert!(judge_gateway(&before, &m(&[("https://a/app/", 502)]))
            .unwrap_err()
            .contains("/app/: 502 (was 200)"));
        assert!(judge_gateway(&before, &m(&[("https://a/new/", 0)]))
            .unwrap_err()
            .contains("no answer"));
        assert_eq!(
            judge_gateway(&m(&[]), &m(&[("https://a/new/", 503)]))
                .unwrap()
                .len(),
            1,
            "new route, upstream down: warn"
        );
    }

    #[test]
    fn probe_output_parses() {
        assert_eq!(
            parse_probe("200 https://x:443/app/\n000 https://x:443/b/\n"),
            m(&[("https://x:443/app/", 200), ("https://x:443/b/", 0)])
        );
    }
}
