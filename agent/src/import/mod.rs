//! `agent import`: adopt a platform that was built by hand.
//!
//! Reads the live configuration (over SSH through [`Remote`](crate::exec::Remote),
//! [`live`]) or backup files (offline) into [`Sources`], and writes a desired-state
//! repository that means the same: one importer per format with the same shape
//! ([`haproxy`], [`apache`], [`cib`], [`corosync`], [`k8s`]: text → typed spec +
//! comments + secrets + summary), the canonical form they are compared in
//! ([`semantic`]), the documents and layout ([`assemble`], [`write`]) and the
//! round-trip proof ([`roundtrip`]). Nothing is silently dropped: what the model
//! cannot type goes to the section's `raw`/`extra` escape hatch with its source
//! line, or is listed as left on the host.

pub mod apache;
pub mod assemble;
pub mod cib;
pub mod corosync;
pub mod doc;
pub mod formatting;
pub mod haproxy;
pub mod inventory;
pub mod k8s;
pub mod live;
pub mod roundtrip;
pub mod semantic;
pub mod sources;
pub mod summary;
mod verify;
pub mod write;

pub use doc::{Comments, Imported};
pub use summary::{Fate, FileSummary, Format, ParseError};

use assemble::Entry;
pub use sources::{ApacheText, Inventory, Parts, Sources, Text};
use write::{RepoFile, SopsConfig};

/// The repository an import produced (not yet written).
#[derive(Debug, Clone)]
pub struct Built {
    pub entries: Vec<Entry>,
    pub inventory: Inventory,
    pub errors: Vec<ParseError>,
}

impl Built {
    /// Every repo file (documents, inventory) with its plain twin.
    pub fn files(&self) -> Vec<RepoFile> {
        let mut out: Vec<RepoFile> = self.entries.iter().map(|e| e.file.clone()).collect();
        let t = &self.inventory.text;
        out.push(RepoFile {
            path: self.inventory.path.clone(),
            text: t.clone(),
            plain: t.clone(),
            secret_note: None,
        });
        out
    }

    pub fn summaries(&self) -> impl Iterator<Item = &FileSummary> {
        self.entries.iter().flat_map(|e| &e.summaries)
    }

    /// Every secret value found (mask them in everything printed).
    pub fn secret_values(&self) -> Vec<String> {
        self.entries
            .iter()
            .flat_map(|e| e.secret_values.iter().cloned())
            .collect()
    }
}

/// Reads `--from KIND=FILE` files (offline import); an unreadable file is an error.
pub fn offline_sources(files: &[(Format, std::path::PathBuf)]) -> Result<Sources, std::io::Error> {
    let mut s = Sources::default();
    for (format, path) in files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let t = Text {
            host: None,
            path: path.display().to_string(),
            text,
        };
        match format {
            Format::Haproxy => s.haproxy.push(t),
            Format::Apache => s.apache.push(ApacheText {
                text: t,
                includes: None,
                modules: None,
            }),
            Format::Cib => s.cib = Some(t),
            Format::Corosync => s.corosync.push(t),
            Format::K8s => {
                let v: serde_json::Value = serde_yaml::from_str(&t.text).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
                match v.get("items").and_then(|i| i.as_array()) {
                    Some(items) => s.k8s.extend(items.iter().cloned()),
                    None => s.k8s.push(v),
                }
            }
        }
    }
    Ok(s)
}

/// Builds every document from the sources. `Err` only when a file cannot be
/// produced at all (encryption failed).
pub fn build(
    sources: &Sources,
    inventory: Option<Inventory>,
    sops: Option<&SopsConfig>,
    parts: Parts,
) -> Result<Built, String> {
    let inventory = inventory.unwrap_or_else(|| {
        let (spec, text) = inventory::synthetic_inventory(sources);
        Inventory {
            spec,
            text,
            path: "inventory.yaml".into(),
        }
    });
    let inv = &inventory.spec;
    let mut entries = Vec::new();
    if parts.balancer {
        entries.extend(assemble::balancers(sources, inv, sops)?);
    }
    if parts.gateway {
        entries.extend(assemble::gateways(sources, inv, sops)?);
    }
    if parts.cluster {
        entries.extend(assemble::cluster(sources, inv, sops)?);
    }
    if parts.workloads {
        entries.extend(k8s::entries(&sources.k8s, sops)?);
    }
    Ok(Built {
        entries,
        inventory,
        errors: sources.errors.clone(),
    })
}
