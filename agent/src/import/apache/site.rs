//! One Apache site file to import (a leaf: the builder reads it).

use super::modules;
use std::collections::{BTreeMap, BTreeSet};

/// Included files as read on the host: the `Include` argument → `(path, text)` files.
pub type Includes = BTreeMap<String, Vec<(String, String)>>;

/// One site file to import.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub host: Option<&'a str>,
    pub path: &'a str,
    pub text: &'a str,
    /// What the `Include`s read (live); `None` offline: they are compared as written.
    pub includes: Option<&'a Includes>,
    /// The host's enabled modules (live); `None`: the ones Debian ships count as on.
    pub enabled: Option<&'a BTreeSet<String>>,
}

impl Site<'_> {
    pub fn label(&self) -> String {
        match self.host {
            Some(h) => format!("{h}:{}", self.path),
            None => self.path.to_string(),
        }
    }

    pub(super) fn module_on(&self, m: &str) -> bool {
        modules::standard(m)
            && self
                .enabled
                .is_none_or(|e| e.contains(m) || modules::is_static(m))
    }
}
