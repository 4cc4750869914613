//! Where every value of every loaded document was written.
//!
//! The loader records, for each document, an index from *value paths* to the
//! line and column of the key and of the value. Paths use the YAML keys as
//! written, dots between keys and `[i]` for sequence items, exactly as serde
//! reports them: `spec.backends[1].servers[0].port`, `metadata.name`; the empty
//! path is the document's root node.
//!
//! Documents are identified by their [`Origin`] (the `origin` of a
//! [`crate::Located`] or [`crate::Manifest`]), so any later stage that holds a
//! document can point an error back into the repo:
//!
//! ```ignore
//! let at = state.source_map.locate(&balancer.origin, "spec.backends[0].servers[1].address");
//! eprintln!("{at}: server address unreachable");
//! ```
//!
//! Lines and columns are 1-based and counted in characters.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A 1-based line/column pair inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where one value was written: its key (for mapping entries) and the value itself.
/// For sequence items and the root node, `key == value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub key: Pos,
    pub value: Pos,
}

/// The path index of one document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocMap {
    pub(crate) entries: HashMap<String, Span>,
}

impl DocMap {
    pub(crate) fn insert(&mut self, path: String, span: Span) {
        self.entries.insert(path, span);
    }

    pub(crate) fn get(&self, path: &str) -> Option<Span> {
        self.entries.get(path).copied()
    }

    pub(crate) fn get_mut(&mut self, path: &str) -> Option<&mut Span> {
        self.entries.get_mut(path)
    }

    /// Number of indexed values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Path indexes of every loaded document, keyed by the document's origin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceMap {
    docs: BTreeMap<Origin, DocMap>,
}

impl SourceMap {
    pub(crate) fn insert(&mut self, doc: Origin, map: DocMap) {
        self.docs.insert(doc, map);
    }

    /// The documents indexed, in file and line order.
    pub fn documents(&self) -> impl Iterator<Item = &Origin> {
        self.docs.keys()
    }

    /// Position of the value at `path` in the document that starts at `doc`.
    pub fn position(&self, doc: &Origin, path: &str) -> Option<Origin> {
        let span = self.docs.get(doc)?.get(path)?;
        Some(at(doc, span.value))
    }

    /// Position of the key of the value at `path` (the item itself for sequence items).
    pub fn key_position(&self, doc: &Origin, path: &str) -> Option<Origin> {
        let span = self.docs.get(doc)?.get(path)?;
        Some(at(doc, span.key))
    }

    /// Best-effort position: the value at `path`, else its nearest recorded ancestor
    /// (a defaulted field points at the object that omits it), else the document origin.
    pub fn locate(&self, doc: &Origin, path: &str) -> Origin {
        let mut p = path;
        loop {
            if let Some(o) = self.position(doc, p) {
                return o;
            }
            match parent(p) {
                Some(up) => p = up,
                None => return doc.clone(),
            }
        }
    }
}

fn at(doc: &Origin, p: Pos) -> Origin {
    Origin {
        file: doc.file.clone(),
        line: p.line,
        column: p.column,
    }
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → `` → None.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_walks_up_keys_and_indexes() {
        assert_eq!(parent("spec.a[2].b"), Some("spec.a[2]"));
        assert_eq!(parent("spec.a[2]"), Some("spec.a"));
        assert_eq!(parent("spec"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn locate_falls_back_to_ancestor_then_document() {
        let doc = Origin {
            file: "a.yaml".into(),
            line: 3,
            column: 1,
        };
        let mut m = DocMap::default();
        let p = Pos { line: 5, column: 3 };
        m.insert("spec".into(), Span { key: p, value: p });
        let mut sm = SourceMap::default();
        sm.insert(doc.clone(), m);
        assert_eq!(sm.locate(&doc, "spec.hosts[0]").line, 5);
        assert_eq!(sm.locate(&doc, "metadata"), doc);
        assert_eq!(sm.position(&doc, "metadata"), None);
    }
}

/// Where a document (or a value inside it) was written: repo-relative path, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
