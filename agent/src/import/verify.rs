//! Rendering an imported spec alone, with the agent's own renderers, for the
//! importers' self-check (is the typed form the same configuration?).

use crate::render::{self, RenderError};
use schema::{
    BalancerSpec, DesiredState, Document, GatewaySpec, HaClusterSpec, Host, HostOverrides,
    InventorySpec, Located, Metadata, Origin, Role,
};

fn doc<S>(kind: &str, spec: S) -> Located<Document<S>> {
    Located {
        origin: Origin {
            file: "import.yaml".into(),
            line: 1,
            column: 1,
        },
        doc: Document {
            api_version: schema::API_VERSION.into(),
            kind: kind.into(),
            metadata: Metadata {
                name: "import".into(),
                namespace: None,
                labels: Default::default(),
                annotations: Default::default(),
            },
            spec,
        },
    }
}

/// A one-host state for rendering one document.
fn state(role: Role) -> DesiredState {
    let host = Host {
        name: "h".into(),
        address: "192.0.2.1".into(),
        port: None,
        user: None,
        sudo: None,
        host_key: None,
        roles: vec![role],
        overrides: HostOverrides::default(),
        labels: Default::default(),
        node: None,
    };
    DesiredState {
        inventory: Some(doc(
            "Inventory",
            InventorySpec {
                defaults: Default::default(),
                hosts: vec![host],
            },
        )),
        ..Default::default()
    }
}

/// The haproxy.cfg a balancer spec renders to.
pub fn render_balancer(spec: &BalancerSpec) -> Result<String, RenderError> {
    let mut spec = spec.clone();
    spec.hosts.clear();
    let files =
        crate::targets::balancer::render::render(&state(Role::Balancer), &doc("Balancer", spec))?;
    Ok(files
        .into_iter()
        .next()
        .map(|f| f.content)
        .unwrap_or_default())
}

/// The site file a gateway spec renders to.
pub fn render_gateway(spec: &GatewaySpec) -> Result<String, RenderError> {
    let mut spec = spec.clone();
    spec.hosts.clear();
    let files =
        crate::targets::gateway::render::render(&state(Role::Gateway), &doc("Gateway", spec))?;
    Ok(files
        .into_iter()
        .find(|f| !f.is_support())
        .map(|f| f.content)
        .unwrap_or_default())
}

/// The CIB fragment a cluster spec renders to.
pub fn render_cluster(spec: &HaClusterSpec) -> Result<render::CibFragment, RenderError> {
    crate::targets::cluster::render::render(&doc("HaCluster", spec.clone()))
}
