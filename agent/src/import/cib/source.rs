//! One CIB to import (a leaf: the typed mapping reads it).

use std::collections::BTreeMap;

/// One CIB to import, and what corosync.conf says about the cluster.
#[derive(Debug, Clone, Copy)]
pub struct CibSource<'a> {
    pub host: Option<&'a str>,
    /// `cibadmin -Q` or a file name.
    pub path: &'a str,
    pub text: &'a str,
    /// corosync's `totem.cluster_name`, when known.
    pub cluster_name: Option<&'a str>,
    /// Inventory addresses of the nodes (checks that a VIP fits their subnet).
    pub node_addresses: Option<&'a BTreeMap<String, String>>,
}

impl CibSource<'_> {
    pub fn label(&self) -> String {
        match self.host {
            Some(h) => format!("{h}:{}", self.path),
            None => self.path.to_string(),
        }
    }
}
