//! Groups, clones and bundles as the model types them, or why not.

use super::primitive::{id_of, only_attrs, plain_set, primitive};
use super::xml::elements;
use roxmltree::Node;
use schema::{
    Bundle, BundleNetwork, Container, Group, PortMapping, ResourceClone, Runtime, StorageMapping,
};

pub(super) fn group(e: Node) -> Result<Group, String> {
    only_attrs(e, &["description"])?;
    let mut g = Group {
        id: id_of(e)?,
        description: e.attribute("description").map(String::from),
        ..Group::default()
    };
    for c in elements(e) {
        match c.tag_name().name() {
            "meta_attributes" => plain_set(c, &mut g.meta)?,
            "primitive" => g.members.push(primitive(c)?),
            other => return Err(format!("a group with <{other}>")),
        }
    }
    if g.members.is_empty() {
        return Err("an empty group".into());
    }
    Ok(g)
}

pub(super) fn clone(e: Node) -> Result<ResourceClone, String> {
    only_attrs(e, &["description"])?;
    let mut c = ResourceClone {
        id: id_of(e)?,
        description: e.attribute("description").map(String::from),
        ..ResourceClone::default()
    };
    for x in elements(e) {
        match x.tag_name().name() {
            "meta_attributes" => plain_set(x, &mut c.meta)?,
            "primitive" if c.resource.is_none() && c.group.is_none() => {
                c.resource = Some(primitive(x)?)
            }
            "group" if c.resource.is_none() && c.group.is_none() => c.group = Some(group(x)?),
            other => return Err(format!("a clone with <{other}>")),
        }
    }
    if c.resource.is_none() && c.group.is_none() {
        return Err("a clone of nothing".into());
    }
    Ok(c)
}

fn num<T: std::str::FromStr>(e: Node, k: &str) -> Result<Option<T>, String> {
    match e.attribute(k) {
        None => Ok(None),
        Some(v) => match v.parse::<T>() {
            // Only the canonical spelling: the render writes the number back.
            Ok(n) if !v.starts_with('+') && (v == "0" || !v.starts_with('0')) => Ok(Some(n)),
            _ => Err(format!("`{k}` spelled `{v}`")),
        },
    }
}

fn container(e: Node, runtime: Runtime) -> Result<Container, String> {
    only_attrs(
        e,
        &[
            "image",
            "replicas",
            "replicas-per-host",
            "promoted-max",
            "network",
            "options",
            "run-command",
        ],
    )?;
    if elements(e).next().is_some() {
        return Err("a container element with children".into());
    }
    Ok(Container {
        runtime,
        image: e
            .attribute("image")
            .ok_or("a container without image")?
            .into(),
        replicas: num(e, "replicas")?,
        replicas_per_host: num(e, "replicas-per-host")?,
        promoted_max: num(e, "promoted-max")?,
        network: e.attribute("network").map(String::from),
        options: e.attribute("options").map(String::from),
        run_command: e.attribute("run-command").map(String::from),
    })
}

fn network(e: Node, bundle: &str) -> Result<BundleNetwork, String> {
    only_attrs(
        e,
        &[
            "ip-range-start",
            "control-port",
            "host-interface",
            "host-netmask",
            "add-host",
        ],
    )?;
    let mut n = BundleNetwork {
        ip_range_start: e.attribute("ip-range-start").map(String::from),
        host_interface: e.attribute("host-interface").map(String::from),
        host_netmask: num(e, "host-netmask")?,
        add_host: match e.attribute("add-host") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(o) => return Err(format!("`add-host` spelled `{o}`")),
        },
        control_port: num(e, "control-port")?,
        port_mappings: Vec::new(),
    };
    for m in elements(e) {
        if !m.has_tag_name("port-mapping") {
            return Err(format!("a <network> with <{}>", m.tag_name().name()));
        }
        only_attrs(m, &["port", "internal-port", "range"])?;
        let mut pm = PortMapping {
            id: None,
            port: num(m, "port")?,
            internal_port: num(m, "internal-port")?,
            range: m.attribute("range").map(String::from),
        };
        let id = id_of(m)?;
        if id != schema::port_mapping_id(bundle, &pm) {
            pm.id = Some(id);
        }
        n.port_mappings.push(pm);
    }
    Ok(n)
}

fn storage(e: Node, bundle: &str) -> Result<Vec<StorageMapping>, String> {
    only_attrs(e, &[])?;
    let mut out = Vec::new();
    for (i, m) in elements(e).enumerate() {
        if !m.has_tag_name("storage-mapping") {
            return Err(format!("a <storage> with <{}>", m.tag_name().name()));
        }
        only_attrs(
            m,
            &["source-dir", "source-dir-root", "target-dir", "options"],
        )?;
        let id = id_of(m)?;
        out.push(StorageMapping {
            id: (id != schema::storage_mapping_id(bundle, i)).then_some(id),
            source_dir: m.attribute("source-dir").map(String::from),
            source_dir_root: m.attribute("source-dir-root").map(String::from),
            target_dir: m
                .attribute("target-dir")
                .ok_or("a storage mapping without target-dir")?
                .into(),
            options: m.attribute("options").map(String::from),
        });
    }
    Ok(out)
}

pub(super) fn bundle(e: Node) -> Result<Bundle, String> {
    only_attrs(e, &["description"])?;
    let id = id_of(e)?;
    let mut b = Bundle {
        id: id.clone(),
        description: e.attribute("description").map(String::from),
        ..Bundle::default()
    };
    let mut runtime = false;
    for x in elements(e) {
        let name = x.tag_name().name();
        match name {
            "docker" | "podman" | "rkt" if !runtime => {
                runtime = true;
                let rt = match name {
                    "docker" => Runtime::Docker,
                    "podman" => Runtime::Podman,
                    _ => Runtime::Rkt,
                };
                b.container = container(x, rt)?;
            }
            "network" if b.network.is_none() => b.network = Some(network(x, &id)?),
            "storage" if b.storage.is_empty() => b.storage = storage(x, &id)?,
            "meta_attributes" => plain_set(x, &mut b.meta)?,
            "primitive" if b.resource.is_none() => b.resource = Some(primitive(x)?),
            other => return Err(format!("a bundle with <{other}>")),
        }
    }
    if !runtime {
        return Err("a bundle without a container runtime".into());
    }
    Ok(b)
}
