//! `agent import`'s setup: where the inventory and the sops rules come from, reading
//! the live hosts, and `agent import inventory`.

use super::exit::Exit;
use super::format::Format;
use super::import_args::{Args, InventoryArgs};
use crate::config::Config;
use crate::import::write::SopsConfig;
use crate::import::{self, Inventory, Parts};
use crate::validate::SecretOptions;
use anyhow::Context;

/// The inventory: `--inventory FILE`, or the Inventory document in DIR.
pub(super) fn find_inventory(args: &Args) -> anyhow::Result<Option<Inventory>> {
    let (files, in_repo) = match &args.inventory {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| crate::source::SourceError::Unreadable {
                    location: p.display().to_string(),
                    cause: e,
                })?;
            (
                vec![schema::SourceFile::new(p.display().to_string(), text)],
                false,
            )
        }
        None => {
            let mut v = Vec::new();
            for e in std::fs::read_dir(&args.out).into_iter().flatten().flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    if let Ok(t) = std::fs::read_to_string(&p) {
                        if t.contains("kind: Inventory") {
                            v.push(schema::SourceFile::new(
                                p.file_name().unwrap().to_string_lossy().into_owned(),
                                t,
                            ));
                        }
                    }
                }
            }
            (v, true)
        }
    };
    if files.is_empty() {
        return Ok(None);
    }
    let state = schema::parse_files(&files)
        .map_err(|d| anyhow::anyhow!("the inventory does not load:\n{d}"))?;
    let Some(inv) = state.inventory else {
        return Ok(None);
    };
    let origin = inv.origin.file.clone();
    let file = files.iter().find(|f| f.path == origin).unwrap_or(&files[0]);
    let text = String::from_utf8_lossy(&file.bytes).into_owned();
    let path = if in_repo {
        file.path.clone()
    } else {
        "inventory.yaml".into()
    };
    Ok(Some(Inventory {
        spec: inv.doc.spec,
        text,
        path,
    }))
}

/// The sops rules, and the `.sops.yaml` text to write when import made one.
pub(super) fn sops_config(
    args: &Args,
    config: Option<&Config>,
    keys: &SecretOptions,
) -> anyhow::Result<(Option<SopsConfig>, Option<String>)> {
    let _ = config;
    let existing = args
        .sops_config
        .clone()
        .or_else(|| Some(args.out.join(".sops.yaml")).filter(|p| p.is_file()));
    if let Some(p) = existing {
        let text = std::fs::read_to_string(&p).with_context(|| p.display().to_string())?;
        return Ok((
            Some(SopsConfig::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?),
            None,
        ));
    }
    match keys
        .identities
        .first()
        .and_then(|i| i.recipients().into_iter().next())
    {
        Some(r) => {
            let text = SopsConfig::text_for(&r);
            Ok((
                Some(SopsConfig::parse(&text).map_err(|e| anyhow::anyhow!(e))?),
                Some(text),
            ))
        }
        None => Ok((None, None)),
    }
}

pub(super) fn read_live(
    args: &Args,
    config: Option<&Config>,
    inv: &Inventory,
    parts: Parts,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<import::Sources> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let state = schema::DesiredState {
            inventory: Some(schema::Located {
                origin: Default::default(),
                doc: schema::Document {
                    api_version: schema::API_VERSION.into(),
                    kind: "Inventory".into(),
                    metadata: schema::Metadata {
                        name: "import".into(),
                        namespace: None,
                        labels: Default::default(),
                        annotations: Default::default(),
                    },
                    spec: inv.spec.clone(),
                },
            }),
            ..Default::default()
        };
        let pool =
            crate::ssh::Pool::new(config.map(crate::ssh::SshConfig::from).unwrap_or_default());
        let remote = crate::ssh::SshRemote::from_inventory(pool, &state);
        let mut sources = import::live::read(&remote, &inv.spec, parts, progress).await;
        remote.pool.close().await;
        if parts.workloads && !args.namespaces.is_empty() {
            let kubeconfig = args
                .kubeconfig
                .clone()
                .or_else(|| config.and_then(|c| c.kubeconfig.clone()));
            progress("reading the Kubernetes namespaces");
            match crate::targets::workloads::K8sTarget::connect(
                kubeconfig.as_deref(),
                Default::default(),
            )
            .await
            {
                Ok(k) => match import::k8s::list(k.client(), &args.namespaces).await {
                    Ok(objects) => sources.k8s = objects,
                    Err(e) => sources.errors.push(import::ParseError {
                        host: Some("kubernetes".into()),
                        file: String::new(),
                        line: 0,
                        message: e,
                    }),
                },
                Err(e) => sources.errors.push(import::ParseError {
                    host: Some("kubernetes".into()),
                    file: String::new(),
                    line: 0,
                    message: e.to_string(),
                }),
            }
        }
        Ok(sources)
    })
}

pub(super) fn inventory_cmd(a: &InventoryArgs, format: Format) -> anyhow::Result<Exit> {
    let mut lines = String::from("# The platform's hosts: the one document written by hand before `agent import`.\napiVersion: agent/v1\nkind: Inventory\nmetadata:\n  name: platform\nspec:\n  hosts:\n");
    for item in a.hosts.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, rest) = item
            .split_once('=')
            .ok_or_else(|| usage(format!("`{item}`: expected NAME=ADDRESS[/ROLE]")))?;
        let (addr, roles) = match rest.split_once('/') {
            Some((a, r)) => (a, r.split('+').map(String::from).collect::<Vec<_>>()),
            None => (rest, guess_role(name).map(|r| vec![r.to_string()]).ok_or_else(|| usage(format!("`{name}`: no role given and none guessed from the name; write {name}={rest}/gateway (or balancer, worker, control-plane)")))?),
        };
        lines.push_str(&format!(
            "    - {{name: {name}, address: {addr}, roles: [{}]}}\n",
            roles.join(", ")
        ));
    }
    schema::parse_files(&[schema::SourceFile::new("inventory.yaml", lines.clone())])
        .map_err(|d| usage(format!("{d}")))?;
    let path = a.out.join("inventory.yaml");
    if path.exists() && !a.force {
        return Err(usage(format!(
            "{} exists (use --force to overwrite)",
            path.display()
        )));
    }
    std::fs::create_dir_all(&a.out)?;
    std::fs::write(&path, &lines)?;
    match format {
        Format::Json => println!("{}", serde_json::json!({"written": path})),
        Format::Text => println!("wrote {}", path.display()),
    }
    Ok(Exit::Ok)
}

fn guess_role(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    if n.starts_with("gw") || n.starts_with("gateway") || n.starts_with("web") {
        Some("gateway")
    } else if n.starts_with("ha") || n.starts_with("lb") || n.starts_with("balancer") {
        Some("balancer")
    } else if n.starts_with('w') || n.starts_with("worker") || n.starts_with("node") {
        Some("worker")
    } else {
        None
    }
}

/// A bad-argument error (exit 64).
fn usage(msg: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
