//! The gateway (Apache httpd) as a host-level kind: its virtual-host files and TLS
//! material ([`super::render`], [`super::tls`]), applied by the shared host
//! machinery, health-checked by probing every route before and after the reload
//! ([`super::health`]). It applies after the balancers and the HA cluster: its
//! routes point at their VIP.

use super::health::{gateway_probe_script, judge_gateway, parse_probe};
use super::render::{render, NAME};
use crate::import::formatting::formatting_note;
use crate::rendered::{source_doc_name, ManagedFile, RenderError};
use crate::targets::hostfiles::files::Observation;
use crate::targets::hostfiles::kind::HostKind;
use crate::targets::target::{Cx, Dependency};
use async_trait::async_trait;
use schema::DesiredState;
use std::collections::BTreeMap;

/// Apache httpd virtual hosts on the gateway hosts.
pub struct Gateway;

const WHY: &str = "the gateway routes to the balancers' VIP";

/// The probe of a step's routes and what it answered before the step.
pub struct Probe {
    script: String,
    before: BTreeMap<String, u16>,
}

async fn run_probe(cx: &Cx<'_>, host: &str, script: &str) -> BTreeMap<String, u16> {
    if script.is_empty() {
        return BTreeMap::new();
    }
    match cx.remote.exec(host, script, b"").await {
        Ok(o) => parse_probe(&o.stdout_str()),
        Err(_) => BTreeMap::new(),
    }
}

#[async_trait]
impl HostKind for Gateway {
    type Baseline = Probe;

    fn name(&self) -> &'static str {
        NAME
    }

    fn depends_on(&self) -> &'static [Dependency] {
        &[
            Dependency {
                on: "balancer",
                why: WHY,
            },
            Dependency {
                on: "cluster",
                why: WHY,
            },
        ]
    }

    fn diff_notes(&self, file: &ManagedFile, live: &str, _: &Observation) -> Vec<String> {
        // After an import: say when the rewrite changes no directive.
        formatting_note(NAME, &file.path, live, &file.content)
            .into_iter()
            .collect()
    }

    fn render(&self, state: &DesiredState) -> Result<Vec<ManagedFile>, RenderError> {
        let mut files = Vec::new();
        for g in &state.gateways {
            files.extend(render(state, g)?);
        }
        Ok(files)
    }

    async fn baseline(&self, cx: &Cx<'_>, host: &str, files: &[&ManagedFile]) -> Probe {
        let script: String = files
            .iter()
            .filter(|f| !f.is_support())
            .filter_map(|f| {
                cx.state
                    .gateways
                    .iter()
                    .find(|g| g.doc.metadata.name == source_doc_name(&f.source))
            })
            .map(|g| gateway_probe_script(&g.doc.spec))
            .collect();
        let before = run_probe(cx, host, &script).await;
        Probe { script, before }
    }

    async fn health(
        &self,
        cx: &Cx<'_>,
        file: &ManagedFile,
        probe: &Probe,
    ) -> Result<Vec<String>, String> {
        let after = run_probe(cx, &file.host, &probe.script).await;
        judge_gateway(&probe.before, &after)
    }
}
