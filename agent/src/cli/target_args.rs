//! The arguments `agent diff` and `agent apply` share: the source, the targets, the
//! cluster's kubeconfig.

use super::source_args::SourceArgs;
use crate::engine::Selection;
use crate::targets::registry;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only these targets (repeatable; default: all).
    #[arg(long = "target", value_name = "TARGET", value_parser = clap::builder::PossibleValuesParser::new(registry::names()))]
    pub targets: Vec<String>,
    /// Kubernetes client configuration for the workloads target
    /// (default: the agent config's `kubeconfig`, else $KUBECONFIG).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
}

impl Args {
    /// The targets looked at, by name.
    pub fn target_names(&self) -> Vec<String> {
        self.selection()
            .names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    pub(crate) fn selection(&self) -> Selection {
        if self.targets.is_empty() {
            return Selection::default();
        }
        Selection::only(&self.targets).expect("clap checked the target names")
    }
}
