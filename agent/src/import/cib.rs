//! A CIB (`cibadmin -Q`) → `HaCluster` spec.
//!
//! Same shape as the other importers ([`import`], [`normal`]). Typed: cluster
//! properties, resource and operation defaults from unconditional sets; primitives
//! of any class (attributes, utilization, operations with their own attributes),
//! templates, groups, clones (and the legacy `<master>`), bundles; the first
//! simple `IPaddr2` as the VIP; colocations, orders, locations (node and score, or rules) and tickets, with
//! roles and resource sets, between typed resources. Kept verbatim (`raw`, owned by
//! id): what the model cannot express (attribute sets with rules, rule
//! references, locations on nodes the cluster does not know). Left on
//! the cluster, never owned: what Pacemaker maintains (`dc-version`…), conditional
//! property and default sets, nodes' attributes, alerts, ACLs, tags, fencing
//! levels, stray `cli-*` constraints, the status section, and any element holding a
//! password the model cannot type (it would have to be written in clear).
//!
//! The proof: the live CIB and the CIB the agent would make of it (the cluster
//! target's own merge of the rendered fragment into the live CIB) are compared in
//! canonical form; a typed element that differs is kept verbatim instead.

mod constraints;
mod containers;
mod normal;
mod primitive;
mod source;
mod typed;
mod xml;

pub use normal::normal;
pub use source::CibSource;

use super::doc::Imported;
use super::summary::{Fate, FileSummary, Format};
use crate::targets::cluster::cib::ConfigView;
use crate::targets::cluster::merge::{merge, Owned};
use crate::targets::cluster::xml::Elem;
use schema::HaClusterSpec;

/// The live CIB and the CIB the agent would make of it, compared in canonical form.
pub fn differences(live: &Elem, spec: &HaClusterSpec) -> Result<Vec<String>, String> {
    let fragment = super::verify::render_cluster(spec).map_err(|e| e.to_string())?;
    let frag = Elem::parse(&fragment.xml)?;
    let owned = Owned::of(&ConfigView::of(&frag));
    let merged = merge(live, &frag, &owned, false);
    Ok(super::semantic::differences(
        &normal(live, "live CIB"),
        &normal(&merged, "as the agent would write it"),
    ))
}

/// Imports one CIB. A CIB that is not XML is one error; nothing is imported from it.
pub fn import(src: &CibSource<'_>, name: &str) -> Imported<HaClusterSpec> {
    let mut summary = FileSummary::new(src.host, src.path, Format::Cib);
    let doc = match roxmltree::Document::parse(src.text) {
        Ok(d) => d,
        Err(e) => {
            summary.error(e.pos().row as usize, format!("not a CIB: {e}"));
            return typed::empty(summary, name);
        }
    };
    let live = Elem::parse(src.text).expect("parsed above");
    let mut banned = Vec::new();
    for _ in 0..4 {
        let mut out = typed::Builder::new(
            src,
            &doc,
            FileSummary::new(src.host, src.path, Format::Cib),
            &banned,
        )
        .build();
        out.name = name.to_string();
        match differences(&live, &out.spec) {
            Ok(d) if d.is_empty() => return out,
            Ok(d) => {
                // The ids whose typed form differs: keep those verbatim and try again.
                let ids: Vec<String> = typed::ids_in(&d);
                if ids.is_empty() || ids.iter().all(|i| banned.contains(i)) {
                    out.summaries[0].semantic_differences = Some(d);
                    return out;
                }
                banned.extend(ids);
            }
            Err(e) => {
                out.summaries[0].error(0, format!("the imported cluster does not render: {e}"));
                return out;
            }
        }
    }
    let mut out = typed::Builder::new(src, &doc, summary, &banned).build();
    out.name = name.to_string();
    let _ = Fate::Raw;
    out
}

#[cfg(test)]
#[path = "cib_tests.rs"]
mod tests;
