//! OCF resource agents of the CIB fragments against the locally installed
//! `resource-agents`: the agent exists, every declared parameter is one it
//! knows, every parameter it requires is declared (from its `meta-data`).
//!
//! `crm_verify` checks the CIB's structure only; this catches a misspelled
//! agent or parameter in the PR instead of at apply time. Only providers
//! installed here are checked (a custom provider that exists only on the
//! nodes is left to the cluster); `lsb`/`systemd` agents are host-specific
//! and not checked.

use super::tool::{diag, run, LocalCheck, Tools};
use crate::rendered::Rendered;
use crate::targets::cluster::xml::Elem;
use schema::DesiredState;
use std::path::Path;
use std::process::Command;

/// One `ocf` primitive as declared in a fragment.
#[derive(Debug, Default)]
struct Primitive {
    id: String,
    provider: String,
    agent: String,
    params: Vec<String>,
}

pub(super) fn check(
    rendered: &Rendered,
    tools: &Tools,
    state: Option<&DesiredState>,
) -> LocalCheck {
    let mut out = LocalCheck::default();
    let prims: Vec<(String, Primitive)> = rendered
        .cib
        .iter()
        .flat_map(|f| {
            let source = format!("HaCluster/{}", f.cluster);
            primitives(&f.xml)
                .into_iter()
                .map(move |p| (source.clone(), p))
        })
        .collect();
    if prims.is_empty() {
        return out;
    }
    let Some(root) = &tools.ocf_root else {
        out.skipped.push("resource-agents".into());
        return out;
    };
    for (source, p) in prims {
        let dir = root.join("resource.d").join(&p.provider);
        if !dir.is_dir() {
            continue;
        }
        let name = format!("ocf:{}:{}", p.provider, p.agent);
        let agent = dir.join(&p.agent);
        if !agent.is_file() {
            out.problems.push(diag(
                state,
                &source,
                true,
                format!(
                    "resource `{}`: {name} is not a resource agent (no {})",
                    p.id,
                    agent.display()
                ),
            ));
            continue;
        }
        out.checked
            .push(format!("{name} meta-data: {source} resource `{}`", p.id));
        let meta = match run(Command::new(&agent).arg("meta-data").env("OCF_ROOT", root)) {
            Ok((true, text)) => text,
            Ok((false, text)) | Err(text) => {
                out.problems.push(diag(
                    state,
                    &source,
                    false,
                    format!("{name} meta-data failed: {}", text.trim()),
                ));
                continue;
            }
        };
        let known = parameters(&meta);
        for param in p
            .params
            .iter()
            .filter(|n| !known.iter().any(|(k, _)| k == *n))
        {
            let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
            out.problems.push(diag(
                state,
                &source,
                true,
                format!(
                    "resource `{}`: {name} has no parameter `{param}` (it has: {})",
                    p.id,
                    names.join(", ")
                ),
            ));
        }
        for (req, _) in known
            .iter()
            .filter(|(k, required)| *required && !p.params.contains(k))
        {
            out.problems.push(diag(
                state,
                &source,
                true,
                format!("resource `{}`: {name} requires parameter `{req}`", p.id),
            ));
        }
    }
    out
}

/// The `ocf` primitives of a rendered fragment and their instance attribute names
/// (none when the fragment is not XML: the CIB check reports that).
fn primitives(xml: &str) -> Vec<Primitive> {
    let Ok(root) = Elem::parse(xml) else {
        return Vec::new();
    };
    let Some(resources) = root.child("resources") else {
        return Vec::new();
    };
    let mut all = Vec::new();
    nested(resources, &mut all);
    all.into_iter()
        .filter(|p| p.attr("class") == Some("ocf"))
        .map(|p| Primitive {
            id: p.id().unwrap_or_default().into(),
            provider: p.attr("provider").unwrap_or("heartbeat").into(),
            agent: p.attr("type").unwrap_or_default().into(),
            params: p
                .all("instance_attributes")
                .flat_map(|set| set.all("nvpair"))
                .filter_map(|nv| nv.attr("name").map(String::from))
                .collect(),
        })
        .collect()
}

/// The primitives of `e`'s children, and of the groups, clones and bundles there.
fn nested<'a>(e: &'a Elem, out: &mut Vec<&'a Elem>) {
    for c in &e.children {
        match c.name.as_str() {
            "primitive" => out.push(c),
            "group" | "clone" | "master" | "bundle" => nested(c, out),
            _ => {}
        }
    }
}

/// `(name, required)` of every `<parameter>` in an agent's meta-data.
fn parameters(meta: &str) -> Vec<(String, bool)> {
    meta.split("<parameter ")
        .skip(1)
        .filter_map(|p| {
            // `attr` wants the space that precedes every attribute.
            let tag = format!(" {}", p.split('>').next()?);
            let name = attr(&tag, "name")?;
            Some((name.to_string(), attr(&tag, "required") == Some("1")))
        })
        .collect()
}

/// The value of `name="…"` in one XML tag (our own output: no escaping in names).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    tag[start..].split('"').next()
}

/// Where `resource-agents` keeps the agents, when installed.
pub(super) fn installed_root() -> Option<std::path::PathBuf> {
    let root = Path::new("/usr/lib/ocf");
    root.join("resource.d").is_dir().then(|| root.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ocf_primitives_and_their_instance_attributes_only() {
        let xml = "<cib-fragment><resources>\n<primitive id=\"vip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">\n\
                   <instance_attributes id=\"vip-instance_attributes\">\n<nvpair id=\"a\" name=\"ip\" value=\"1\"/>\n\
                   </instance_attributes>\n<meta_attributes id=\"m\">\n<nvpair id=\"b\" name=\"target-role\" value=\"x\"/>\n\
                   </meta_attributes>\n</primitive>\n<primitive id=\"h\" class=\"lsb\" type=\"haproxy\">\n</primitive>\n\
                   <clone id=\"c\"><group id=\"g\"><primitive id=\"d\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"/></group></clone>\n</resources></cib-fragment>";
        let p = primitives(xml);
        assert_eq!(p.len(), 2, "the one in a group in a clone too");
        assert_eq!((p[1].id.as_str(), p[1].agent.as_str()), ("d", "Dummy"));
        assert_eq!(
            (
                p[0].id.as_str(),
                p[0].provider.as_str(),
                p[0].agent.as_str()
            ),
            ("vip", "heartbeat", "IPaddr2")
        );
        assert_eq!(p[0].params, ["ip"]);
    }

    #[test]
    fn reads_parameter_names_and_required_flags() {
        let meta = "<parameters>\n<parameter name=\"ip\" unique=\"1\" required=\"1\">\n<content/></parameter>\n\
                    <parameter name=\"nic\" unique=\"0\">\n</parameter>\n</parameters>";
        assert_eq!(
            parameters(meta),
            [("ip".to_string(), true), ("nic".to_string(), false)]
        );
    }
}
