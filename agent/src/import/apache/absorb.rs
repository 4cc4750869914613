//! The `*:80` virtual hosts that only redirect to a typed TLS virtual host of the same
//! names: absorbed into that vhost's `redirectHttp`.

use super::tokens::Node;
use super::vhost;
use std::collections::BTreeMap;

/// TLS vhost index → index of the `*:80` vhost that only redirects to it.
pub(super) fn redirects(
    nodes: &[&Node],
    results: &[(usize, Result<vhost::Typed, String>)],
) -> BTreeMap<usize, usize> {
    let mut out = BTreeMap::new();
    for (i, r) in results {
        let Ok(t) = r else { continue };
        let v = &t.vhost;
        if v.tls.is_none() || v.port.is_some() {
            continue;
        }
        let Some(name) = &v.server_name else { continue };
        let target = format!("https://{name}/");
        let found = nodes.iter().enumerate().find(|(j, n)| {
            let Node::Block(b) = n else { return false };
            if !b.is("VirtualHost")
                || vhost::star_port(b) != Some(80)
                || out.values().any(|x| x == j)
            {
                return false;
            }
            let mut names = Vec::new();
            let mut aliases = Vec::new();
            let mut redirect = false;
            for c in &b.children {
                match c {
                    Node::Directive(d) if d.is("ServerName") && d.args.len() == 1 => {
                        names.push(d.arg(0).to_string())
                    }
                    Node::Directive(d) if d.is("ServerAlias") => {
                        aliases.extend(d.args.iter().cloned())
                    }
                    Node::Directive(d)
                        if d.is("Redirect")
                            && d.args.len() == 3
                            && (d.arg(0).eq_ignore_ascii_case("permanent")
                                || d.arg(0) == "301")
                            && d.arg(1) == "/"
                            && d.arg(2) == target =>
                    {
                        redirect = true
                    }
                    _ => return false,
                }
            }
            redirect && names == [name.clone()] && aliases == v.server_aliases
        });
        if let Some((j, _)) = found {
            out.insert(*i, j);
        }
    }
    out
}
