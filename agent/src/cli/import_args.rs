//! The arguments of `agent import` (a leaf: [`super::import`] and
//! [`super::import_setup`] both read them).

use crate::import;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub sub: Option<Sub>,
    /// The repository to write (created when missing). Its `inventory.yaml` says which
    /// hosts to read, unless `--inventory` is given.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Only these parts (repeatable; default: all).
    #[arg(long = "target", value_enum, value_name = "TARGET")]
    pub targets: Vec<Part>,
    /// Offline: import these files instead of reading hosts (repeatable):
    /// `haproxy=FILE`, `apache=FILE`, `cib=FILE`, `corosync=FILE`, `k8s=FILE` (YAML/JSON object or List).
    #[arg(long = "from", value_name = "KIND=FILE", value_parser = parse_from)]
    pub from: Vec<(import::Format, PathBuf)>,
    /// The Inventory document (default: the one in DIR; offline: made up when absent).
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Kubernetes namespaces whose objects to import (repeatable; needs a kubeconfig).
    #[arg(long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Kubernetes client configuration (default: the agent config's `kubeconfig`, else $KUBECONFIG).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The sops creation rules for secrets (default: DIR/.sops.yaml; else one is written
    /// for the agent's age identity; else secrets become placeholders).
    #[arg(long, value_name = "FILE")]
    pub sops_config: Option<PathBuf>,
    /// Overwrite repo files that exist and differ.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Write DIR/inventory.yaml from a host list: the one document to write by hand first.
    Inventory(InventoryArgs),
}

#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    /// `NAME=ADDRESS[/ROLE[+ROLE]]`, comma-separated (`gw=10.0.0.10,ha1=10.0.0.11,w1=10.0.0.21/worker`).
    /// Without a role it is guessed from the name (gw…: gateway, ha…/lb…: balancer, w…: worker).
    #[arg(long, value_name = "LIST", required = true)]
    pub hosts: String,
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    #[arg(long)]
    pub force: bool,
}

fn parse_from(s: &str) -> Result<(import::Format, PathBuf), String> {
    let (kind, file) = s.split_once('=').ok_or("expected KIND=FILE")?;
    let f = match kind {
        "haproxy" => import::Format::Haproxy,
        "apache" => import::Format::Apache,
        "cib" => import::Format::Cib,
        "corosync" => import::Format::Corosync,
        "k8s" => import::Format::K8s,
        other => {
            return Err(format!(
                "unknown kind `{other}` (haproxy, apache, cib, corosync, k8s)"
            ))
        }
    };
    Ok((f, PathBuf::from(file)))
}

/// The targets an import can write (the ones with a live configuration to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Gateway,
    Balancer,
    Cluster,
    Workloads,
}
