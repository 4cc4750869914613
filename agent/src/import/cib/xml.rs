//! Reading roxmltree nodes: attributes and element children (a leaf).

use roxmltree::Node;

pub(super) fn attrs<'a>(n: Node<'a, '_>) -> Vec<(&'a str, &'a str)> {
    n.attributes().map(|a| (a.name(), a.value())).collect()
}

pub(super) fn elements<'a, 'd>(n: Node<'a, 'd>) -> impl Iterator<Item = Node<'a, 'd>> {
    n.children().filter(|c| c.is_element())
}
