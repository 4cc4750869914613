//! What every live collector reads from, and the shape of what it returns.

use crate::exec::Remote;
use schema::DesiredState;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the collectors read from.
pub struct Context<'a, R: Remote> {
    pub remote: &'a R,
    pub state: &'a DesiredState,
    /// The rendered Kubernetes objects of the commit enforced.
    pub objects: &'a [serde_json::Value],
    /// The cluster's kubeconfig; `None`: `KUBECONFIG`, else no cluster.
    pub kubeconfig: Option<&'a Path>,
}

/// One collector's result: its items, or why there are none (or not all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            items: vec![],
            error: None,
        }
    }
}

impl<T> Section<T> {
    pub fn failed(message: impl Into<String>) -> Self {
        Section {
            items: vec![],
            error: Some(message.into()),
        }
    }
}
