//! Picking directives out of a block (a leaf shared by the vhost mappers).

use super::tokens::{Directive, Node};

pub(super) fn directives<'n>(
    nodes: &[&'n Node],
    pred: impl Fn(&Directive) -> bool,
) -> Vec<&'n Directive> {
    nodes
        .iter()
        .filter_map(|n| match n {
            Node::Directive(d) if pred(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// A header name the renderer can write unquoted.
pub(super) fn bare(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'')
}
