//! Reading the live configuration over the [`Remote`] transport: one round trip per
//! host for its files (base64, so any content survives), plus one per level of
//! Apache `Include`s, whose globs are expanded by the host's shell.
//!
//! A host that cannot be read is an error naming it; the other hosts are still read.

use super::apache::Includes;
use crate::exec::{sh_quote, Remote};
use base64::Engine as _;
use std::collections::{BTreeMap, BTreeSet};

/// What one gateway host holds.
#[derive(Debug, Clone, Default)]
pub struct GatewayHost {
    /// Site files (path, text) in `sites-enabled` (or the host's `apacheSite` override).
    pub sites: Vec<(String, String)>,
    pub modules: BTreeSet<String>,
    pub includes: Includes,
}

/// What one balancer host holds.
#[derive(Debug, Clone, Default)]
pub struct BalancerHost {
    pub haproxy: Option<(String, String)>,
    pub corosync: Option<String>,
    pub cib: Option<String>,
}

const MARK: &str = "@@agent-import";

fn decode(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .filter_map(|l| l.strip_prefix(MARK))
        .filter_map(|l| {
            let mut p = l.trim().splitn(3, ' ');
            let (kind, path, data) = (p.next()?, p.next()?, p.next().unwrap_or(""));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .ok()?;
            Some((
                kind.to_string(),
                path.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        })
        .collect()
}

/// `emit KIND PATH` prints one marked, base64-encoded file.
const EMIT: &str = "emit() { if [ -f \"$2\" ]; then printf '%s %s %s %s\\n' '@@agent-import' \"$1\" \"$2\" \"$(base64 -w0 < \"$2\")\"; fi; }\n";

/// Runs a reading script on `host`; a failed run says what it was reading.
async fn run_reader<R: Remote>(
    remote: &R,
    host: &str,
    script: &str,
    what: &str,
) -> Result<crate::exec::ExecOutput, String> {
    let out = remote
        .exec(host, script, b"")
        .await
        .map_err(|e| e.message)?;
    if !out.success() {
        return Err(format!(
            "reading {what} failed: {}",
            out.stderr_str().trim()
        ));
    }
    Ok(out)
}

pub async fn gateway<R: Remote>(
    remote: &R,
    host: &str,
    site_override: Option<&str>,
) -> Result<GatewayHost, String> {
    let sites = match site_override {
        Some(p) => format!("emit site {}\n", sh_quote(p)),
        None => "for f in /etc/apache2/sites-enabled/*.conf; do emit site \"$f\"; done\n".into(),
    };
    let script = format!(
        "{EMIT}{sites}for f in /etc/apache2/mods-enabled/*.load; do [ -e \"$f\" ] && printf '%s mod %s x\\n' '{MARK}' \"$(basename \"$f\" .load)\"; done\n:\n"
    );
    let out = run_reader(remote, host, &script, "the Apache sites").await?;
    let mut g = GatewayHost::default();
    for l in out
        .stdout_str()
        .lines()
        .filter_map(|l| l.strip_prefix(MARK))
    {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.first() == Some(&"mod") {
            g.modules.extend(w.get(1).map(|m| m.to_string()));
        }
    }
    g.sites = decode(&out.stdout_str())
        .into_iter()
        .filter(|(k, _, _)| k == "site")
        .map(|(_, p, t)| (p, t))
        .collect();
    // Includes, level by level (an included file may include more).
    let mut pending: Vec<String> = g
        .sites
        .iter()
        .flat_map(|(p, t)| super::apache::include_patterns(p, t))
        .collect();
    for _ in 0..8 {
        pending.retain(|p| !g.includes.contains_key(p));
        pending.sort();
        pending.dedup();
        if pending.is_empty() {
            break;
        }
        let mut script = String::from(EMIT);
        for (i, pat) in pending.iter().enumerate() {
            let glob = if pat.starts_with('/') {
                pat.clone()
            } else {
                format!("/etc/apache2/{pat}")
            };
            if !glob
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-*?[]".contains(c))
            {
                g.includes.insert(pat.clone(), Vec::new());
                continue;
            }
            script.push_str(&format!(
                "for f in {glob}; do if [ -d \"$f\" ]; then for x in \"$f\"/*; do emit inc{i} \"$x\"; done; else emit inc{i} \"$f\"; fi; done\n"
            ));
        }
        script.push_str(":\n");
        let out = remote
            .exec(host, &script, b"")
            .await
            .map_err(|e| e.message)?;
        let mut found: BTreeMap<String, Vec<(String, String)>> =
            pending.iter().map(|p| (p.clone(), Vec::new())).collect();
        for (kind, path, text) in decode(&out.stdout_str()) {
            if let Some(i) = kind
                .strip_prefix("inc")
                .and_then(|i| i.parse::<usize>().ok())
            {
                if let Some(p) = pending.get(i) {
                    found.get_mut(p).expect("listed").push((path, text));
                }
            }
        }
        let next: Vec<String> = found
            .values()
            .flatten()
            .flat_map(|(p, t)| super::apache::include_patterns(p, t))
            .collect();
        g.includes.extend(found);
        pending = next;
    }
    Ok(g)
}

pub async fn balancer<R: Remote>(
    remote: &R,
    host: &str,
    haproxy_path: &str,
    want_cib: bool,
) -> Result<BalancerHost, String> {
    let cib = if want_cib {
        "PATH=\"$PATH:/usr/sbin:/sbin\"; t=$(mktemp) && cibadmin -Q > \"$t\" 2>/dev/null && emit cib \"$t\"; rm -f \"$t\"\n"
    } else {
        ""
    };
    let script = format!(
        "{EMIT}emit haproxy {}\nemit corosync /etc/corosync/corosync.conf\n{cib}:\n",
        sh_quote(haproxy_path)
    );
    let out = run_reader(remote, host, &script, "the balancer's files").await?;
    let mut b = BalancerHost::default();
    for (kind, path, text) in decode(&out.stdout_str()) {
        match kind.as_str() {
            "haproxy" => b.haproxy = Some((path, text)),
            "corosync" => b.corosync = Some(text),
            "cib" => b.cib = Some(text),
            _ => {}
        }
    }
    Ok(b)
}

/// Reads every host the inventory gives the selected parts: gateways' sites,
/// balancers' haproxy.cfg and corosync.conf, the CIB from the first node that
/// answers. All hosts concurrently; an unreadable host is an error in the result.
pub async fn read<R: Remote>(
    remote: &R,
    inv: &schema::InventorySpec,
    parts: super::sources::Parts,
    progress: &(dyn Fn(&str) + Sync),
) -> super::sources::Sources {
    use super::sources::{ApacheText, Text};
    use super::summary::ParseError;
    use schema::Role;
    let mut s = super::sources::Sources::default();
    let unreadable = |host: &str, file: &str, e: String| ParseError {
        host: Some(host.to_string()),
        file: file.to_string(),
        line: 0,
        message: format!("cannot be read: {e}"),
    };
    let gateways: Vec<&schema::Host> = inv
        .hosts
        .iter()
        .filter(|h| parts.gateway && h.roles.contains(&Role::Gateway))
        .collect();
    let balancers: Vec<&schema::Host> = inv
        .hosts
        .iter()
        .filter(|h| (parts.balancer || parts.cluster) && h.roles.contains(&Role::Balancer))
        .collect();
    let g = futures::future::join_all(gateways.iter().map(|h| async move {
        progress(&format!("{}: reading the Apache sites", h.name));
        (
            h.name.clone(),
            gateway(remote, &h.name, h.overrides.apache_site.as_deref()).await,
        )
    }));
    let b = futures::future::join_all(balancers.iter().map(|h| async move {
        progress(&format!(
            "{}: reading haproxy.cfg, corosync.conf and the CIB",
            h.name
        ));
        let path = h
            .overrides
            .haproxy_config
            .as_deref()
            .unwrap_or(crate::targets::balancer::render::DEFAULT_PATH);
        (
            h.name.clone(),
            path.to_string(),
            balancer(remote, &h.name, path, parts.cluster).await,
        )
    }));
    let (g, b) = futures::join!(g, b);
    for (host, r) in g {
        match r {
            Ok(gw) => {
                if gw.sites.is_empty() {
                    s.errors.push(unreadable(
                        &host,
                        "/etc/apache2/sites-enabled",
                        "no site file (*.conf)".into(),
                    ));
                }
                for (path, text) in gw.sites {
                    s.apache.push(ApacheText {
                        text: Text {
                            host: Some(host.clone()),
                            path,
                            text,
                        },
                        includes: Some(gw.includes.clone()),
                        modules: Some(gw.modules.clone()),
                    });
                }
            }
            Err(e) => s
                .errors
                .push(unreadable(&host, "/etc/apache2/sites-enabled", e)),
        }
    }
    for (host, path, r) in b {
        match r {
            Ok(bh) => {
                match bh.haproxy {
                    Some((p, text)) if parts.balancer => s.haproxy.push(Text {
                        host: Some(host.clone()),
                        path: p,
                        text,
                    }),
                    Some(_) => {}
                    None if parts.balancer => {
                        s.errors
                            .push(unreadable(&host, &path, "no such file".into()))
                    }
                    None => {}
                }
                if parts.cluster {
                    if let Some(c) = bh.corosync {
                        s.corosync.push(Text {
                            host: Some(host.clone()),
                            path: "/etc/corosync/corosync.conf".into(),
                            text: c,
                        });
                    }
                    if s.cib.is_none() {
                        s.cib = bh.cib.map(|text| Text {
                            host: Some(host.clone()),
                            path: "cibadmin -Q".into(),
                            text,
                        });
                    }
                }
            }
            Err(e) => s.errors.push(unreadable(&host, &path, e)),
        }
    }
    if parts.cluster && s.cib.is_none() && !balancers.is_empty() {
        s.errors.push(ParseError {
            host: None,
            file: "cibadmin -Q".into(),
            line: 0,
            message: "no balancer host answered `cibadmin -Q`".into(),
        });
    }
    s
}
