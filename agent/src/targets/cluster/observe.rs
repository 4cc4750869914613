//! Observing the cluster: one round trip on the first node that answers.
//!
//! The script prints the CIB (`cibadmin -Q`), the placement (`crm_mon
//! --output-as=xml -1`), corosync.conf, and the metadata of every resource
//! agent Git declares (so an unknown agent or parameter is caught before any
//! change), each after a `@@section` marker line. Nodes are tried in order; an
//! unreachable node or one whose CIB manager does not answer is skipped, and
//! only when every node fails is the cluster reported unreachable.

use super::access::ClusterAccess;
use super::cib::CibVersion;
use super::corosync::CorosyncConf;
use super::error::ClusterError;
use super::status::ClusterStatus;
use super::xml::Elem;
use crate::exec::{sh_quote, Remote};
use std::collections::{BTreeMap, BTreeSet};

/// Parameters a resource agent accepts, from its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentMeta {
    pub params: BTreeSet<String>,
    pub required: BTreeSet<String>,
}

impl AgentMeta {
    pub fn parse(xml: &str) -> Result<AgentMeta, String> {
        // The metadata may start with a DOCTYPE, which roxmltree refuses by default.
        let opts = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc =
            roxmltree::Document::parse_with_options(xml.trim(), opts).map_err(|e| e.to_string())?;
        let mut meta = AgentMeta::default();
        for p in doc.descendants().filter(|n| n.has_tag_name("parameter")) {
            let Some(name) = p.attribute("name") else {
                continue;
            };
            meta.params.insert(name.to_string());
            if matches!(p.attribute("required"), Some("1" | "true")) {
                meta.required.insert(name.to_string());
            }
        }
        Ok(meta)
    }
}

/// What one node reported.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The node that answered.
    pub node: String,
    /// `cibadmin -Q` output, byte for byte (the base of the patch).
    pub cib_text: String,
    pub cib: Elem,
    pub version: CibVersion,
    pub status: Option<ClusterStatus>,
    pub corosync: Option<CorosyncConf>,
    /// Per declared agent (`ocf:heartbeat:IPaddr2`): its metadata, or `None` when unknown.
    pub agents: BTreeMap<String, Option<AgentMeta>>,
}

/// The observe script for `agents`; the prelude (e.g. `CIB_file=…`) comes first.
pub fn script(access: &ClusterAccess, agents: &BTreeSet<String>) -> String {
    let mut s = format!(
        "{}\nset -u\necho @@cib\ncibadmin -Q || exit 10\n\
         echo @@mon\ncrm_mon --output-as=xml -1 2>/dev/null\n\
         echo @@corosync\ncat {} 2>/dev/null && echo\n",
        access.prelude,
        sh_quote(&access.corosync_conf)
    );
    for a in agents {
        let q = sh_quote(a);
        s.push_str(&format!(
            "m=$(crm_resource --show-metadata {q} 2>/dev/null) && {{ echo @@meta {q}; printf '%s\\n' \"$m\"; }} || echo @@nometa {q}\n"
        ));
    }
    s.push_str("echo @@end\n");
    s
}

/// Splits the script output into `(marker line, body)` sections.
fn sections(out: &str) -> Vec<(&str, String)> {
    let mut v: Vec<(&str, String)> = Vec::new();
    for line in out.lines() {
        if let Some(m) = line.strip_prefix("@@") {
            v.push((m, String::new()));
        } else if let Some((_, body)) = v.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    v
}

/// Parses the output of [`script`] from `node`.
pub fn parse(node: &str, out: &str) -> Result<Observed, ClusterError> {
    let parse_err = |what: &str, message: String| ClusterError::Parse {
        node: node.to_string(),
        what: what.to_string(),
        message,
    };
    let secs = sections(out);
    if secs.last().map(|s| s.0) != Some("end") {
        return Err(parse_err("observe output", "truncated (no @@end)".into()));
    }
    let mut obs = Observed {
        node: node.to_string(),
        cib_text: String::new(),
        cib: Elem::new("cib"),
        version: CibVersion::default(),
        status: None,
        corosync: None,
        agents: BTreeMap::new(),
    };
    for (marker, body) in secs {
        let (kind, arg) = marker.split_once(' ').unwrap_or((marker, ""));
        match kind {
            "cib" => {
                obs.cib = Elem::parse(&body).map_err(|e| parse_err("CIB", e))?;
                obs.version = CibVersion::of(&obs.cib);
                obs.cib_text = body;
            }
            "mon" if !body.trim().is_empty() => {
                let s = ClusterStatus::parse(&body).map_err(|e| parse_err("crm_mon", e))?;
                obs.status = Some(s);
            }
            "corosync" if !body.trim().is_empty() => {
                obs.corosync = Some(CorosyncConf::parse(&body));
            }
            "meta" => {
                let m = AgentMeta::parse(&body).map_err(|e| parse_err(arg, e))?;
                obs.agents.insert(arg.to_string(), Some(m));
            }
            "nometa" => {
                obs.agents.insert(arg.to_string(), None);
            }
            _ => {}
        }
    }
    if obs.cib_text.is_empty() {
        return Err(parse_err("observe output", "no CIB".into()));
    }
    Ok(obs)
}

/// Observes the cluster through the first node that answers.
pub async fn observe(
    remote: &dyn Remote,
    access: &ClusterAccess,
    agents: &BTreeSet<String>,
) -> Result<Observed, ClusterError> {
    let script = script(access, agents);
    let mut failures = Vec::new();
    for node in &access.nodes {
        match remote.exec(node, &script, b"").await {
            Err(e) => failures.push(e.to_string()),
            Ok(out) if out.status == 10 => failures.push(format!(
                "{node}: cibadmin -Q failed: {}",
                out.stderr_str().trim()
            )),
            Ok(out) if !out.success() => failures.push(format!(
                "{node}: observe exited {}: {}",
                out.status,
                out.stderr_str().trim()
            )),
            Ok(out) => return parse(node, &out.stdout_str()),
        }
    }
    Err(ClusterError::Unreachable(failures.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_metadata_parse() {
        let out = "@@cib\n<cib epoch=\"3\" num_updates=\"1\" admin_epoch=\"0\"><configuration/></cib>\n\
            @@mon\n@@corosync\ntotem {\n token: 1000\n}\n\
            @@meta ocf:heartbeat:IPaddr2\n<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n\
            <resource-agent name=\"IPaddr2\"><parameters><parameter name=\"ip\" required=\"1\"/>\
            <parameter name=\"nic\"/></parameters></resource-agent>\n\
            @@nometa ocf:heartbeat:Nope\n@@end\n";
        let o = parse("ha1", out).unwrap();
        assert_eq!(o.version.epoch, 3);
        assert!(o.status.is_none());
        assert_eq!(o.corosync.unwrap().values["totem.token"], "1000");
        let m = o.agents["ocf:heartbeat:IPaddr2"].as_ref().unwrap();
        assert!(m.required.contains("ip") && m.params.contains("nic"));
        assert_eq!(o.agents["ocf:heartbeat:Nope"], None);
    }

    #[test]
    fn truncated_output_is_an_error() {
        assert!(parse("ha1", "@@cib\n<cib/>\n").is_err());
    }
}
