//! `agent render`: what would be written where — each host's managed files (path, mode,
//! content), each cluster's CIB fragment, the Kubernetes objects. Nothing is contacted.

use super::exit::Exit;
use super::format::Format;
use super::source_args::SourceArgs;
use super::validate as validate_cli;
use crate::config::Config;
use crate::render::{self, Rendered};
use crate::validate::{Checks, Step, Validation};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only what goes to this host (repeatable); Kubernetes objects are then left out.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
}

pub fn run(args: &Args, config: Option<&Config>, format: Format) -> anyhow::Result<Exit> {
    let snapshot = args.source.snapshot(config)?;
    let failed = |diagnostics, load: Step, render: Step| Validation {
        commit: snapshot.commit.clone(),
        diagnostics,
        checks: Checks {
            load,
            render,
            local: Step::NotRun,
            skipped_tools: Vec::new(),
        },
        rendered: None,
        secrets: Vec::new(),
    };
    // Secrets are decrypted in memory (placeholders without an identity), files
    // holding them marked 0600, and every value masked in what is printed.
    let keys = validate_cli::secret_options(config)?;
    let unsealed = crate::secrets::unseal(
        &snapshot.files,
        &keys.identities,
        crate::secrets::Missing::Placeholder,
    );
    if unsealed.has_errors() {
        let v = failed(unsealed.diagnostics, Step::Failed, Step::NotRun);
        eprint!("{}", validate_cli::text(&snapshot, &v));
        return Ok(Exit::Invalid);
    }
    for d in &unsealed.diagnostics {
        eprintln!("{d}");
    }
    let masker = crate::secrets::masking::secret_masker(&unsealed.secrets);
    let invalid = match schema::load_files(&unsealed.files) {
        Err(diags) => Err(failed(diags.0, Step::Failed, Step::NotRun)),
        Ok(state) => {
            let known: Vec<String> = state.hosts().iter().map(|h| h.name.clone()).collect();
            if let Some(h) = args.hosts.iter().find(|h| !known.contains(h)) {
                eprintln!(
                    "error: no host `{h}` in the inventory (hosts: {})",
                    known.join(", ")
                );
                return Ok(Exit::Usage);
            }
            render::render(&state).map_err(|e| {
                let d = schema::Diagnostic::error("", 0, 0, e.to_string());
                failed(vec![d], Step::Passed, Step::Failed)
            })
        }
    };
    let rendered = match invalid {
        Ok(mut r) => {
            crate::validate::protect_secret_files(&mut r, &unsealed.secrets);
            filter(r, &args.hosts)
        }
        Err(validation) => {
            match format {
                Format::Json => println!(
                    "{}",
                    masker.mask(&serde_json::to_string_pretty(&validate_cli::json(
                        &snapshot,
                        &validation
                    ))?)
                ),
                Format::Text => eprint!(
                    "{}",
                    masker.mask(&validate_cli::text(&snapshot, &validation))
                ),
            }
            return Ok(Exit::Invalid);
        }
    };
    match format {
        Format::Json => {
            let mut out = serde_json::json!({
                "commit": snapshot.commit,
                "files": rendered.files,
                "cib": rendered.cib,
                "objects": rendered.objects,
            });
            for (target, desired) in &rendered.extra {
                out[target] = desired.clone();
            }
            println!("{}", masker.mask(&serde_json::to_string_pretty(&out)?));
        }
        Format::Text => print!("{}", masker.mask(&text(&rendered)?)),
    }
    Ok(Exit::Ok)
}

/// Keeps what concerns `hosts` (all when empty): their files, the clusters they are nodes
/// of; Kubernetes objects and other API state are kept only without a filter.
pub fn filter(mut r: Rendered, hosts: &[String]) -> Rendered {
    if hosts.is_empty() {
        return r;
    }
    r.files.retain(|f| hosts.contains(&f.host));
    r.cib.retain(|c| c.nodes.iter().any(|n| hosts.contains(n)));
    r.objects.clear();
    r.extra.clear();
    r
}

fn text(r: &Rendered) -> anyhow::Result<String> {
    let mut out = String::new();
    for f in &r.files {
        out.push_str(&format!(
            "==> {}:{} ({}, mode {:04o}, from {})\n",
            f.host,
            f.path,
            serde_json::to_value(f.target)?.as_str().unwrap_or_default(),
            f.mode,
            f.source
        ));
        push_body(&mut out, &f.content);
    }
    for c in &r.cib {
        out.push_str(&format!(
            "==> CIB fragment of cluster {} (nodes {}; ids {})\n",
            c.cluster,
            c.nodes.join(", "),
            c.ids.join(", ")
        ));
        push_body(&mut out, &c.xml);
    }
    for o in &r.objects {
        let ns = o["metadata"]["namespace"]
            .as_str()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        out.push_str(&format!(
            "==> Kubernetes {} {}{}\n",
            o["kind"].as_str().unwrap_or("?"),
            ns,
            o["metadata"]["name"].as_str().unwrap_or("?")
        ));
        push_body(&mut out, &serde_yaml::to_string(o)?);
    }
    for (target, desired) in &r.extra {
        out.push_str(&format!("==> {target} (desired)\n"));
        push_body(&mut out, &serde_yaml::to_string(desired)?);
    }
    Ok(out)
}

fn push_body(out: &mut String, body: &str) {
    out.push_str(body);
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{CibFragment, ManagedFile};

    fn file(host: &str) -> ManagedFile {
        ManagedFile {
            host: host.into(),
            target: "balancer",
            path: "/etc/haproxy/haproxy.cfg".into(),
            content: "global\n".into(),
            mode: 0o644,
            check: "haproxy -c -f {file}".into(),
            reload: None,
            modules: vec![],
            source: "Balancer/main".into(),
            observe: String::new(),
        }
    }

    fn rendered() -> Rendered {
        Rendered {
            files: vec![file("gw"), file("ha1"), file("ha2")],
            cib: vec![CibFragment {
                cluster: "lab".into(),
                nodes: vec!["ha1".into(), "ha2".into()],
                xml: "<cib-fragment/>".into(),
                ids: vec!["vip".into()],
            }],
            extra: Default::default(),
            shard: None,
            objects: vec![
                serde_json::json!({"kind": "Namespace", "metadata": {"name": "keycloak"}}),
            ],
        }
    }

    #[test]
    fn host_filter_keeps_that_hosts_files_and_clusters() {
        let r = filter(rendered(), &["ha2".into()]);
        assert_eq!(
            r.files.iter().map(|f| f.host.as_str()).collect::<Vec<_>>(),
            ["ha2"]
        );
        assert_eq!(r.cib.len(), 1);
        assert!(r.objects.is_empty());
        let gw = filter(rendered(), &["gw".into()]);
        assert!(gw.cib.is_empty());
        assert_eq!(filter(rendered(), &[]), rendered());
    }

    #[test]
    fn text_names_host_path_and_object() {
        let t = text(&rendered()).unwrap();
        assert!(t.contains("==> ha1:/etc/haproxy/haproxy.cfg (balancer, mode 0644, from Balancer/main)\nglobal\n"), "{t}");
        assert!(
            t.contains(
                "==> CIB fragment of cluster lab (nodes ha1, ha2; ids vip)\n<cib-fragment/>\n"
            ),
            "{t}"
        );
        assert!(t.contains("==> Kubernetes Namespace keycloak\n"), "{t}");
    }
}
