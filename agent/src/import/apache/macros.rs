//! mod_macro at server level: `<Macro NAME PARAM…>` definitions (the body kept as
//! written: it is configuration text with the parameters still in it) and
//! `Use NAME ARG…` lines, typed only when the render keeps their meaning.

use super::select::bare;
use super::tokens::{Block, Directive, Node};
use schema::{Macro, MacroUse};

fn as_macro(n: &Node) -> Option<&Block> {
    match n {
        Node::Block(b) if b.is("Macro") => Some(b),
        _ => None,
    }
}

fn as_use(n: &Node) -> Option<&Directive> {
    match n {
        Node::Directive(d) if d.is("Use") => Some(d),
        _ => None,
    }
}

/// A `<Macro>` with a name and plain-word parameters; `body` its inner lines, with no
/// macro inside (validation refuses one).
pub(super) fn definition(b: &Block, body: String) -> Option<Macro> {
    let (name, params) = b.args.split_first()?;
    let nested = body.lines().any(|l| {
        let l = l.trim().to_ascii_lowercase();
        l.starts_with("<macro") || l.starts_with("</macro")
    });
    (bare(name) && params.iter().all(|p| bare(p)) && !nested).then(|| Macro {
        name: name.clone(),
        parameters: params.to_vec(),
        body,
    })
}

/// The lines between a block's opening and closing line, as written.
pub(super) fn body(b: &Block) -> String {
    let lines: Vec<&str> = b.text.lines().collect();
    match lines.len() {
        0..=2 => String::new(),
        n => lines[1..n - 1].join("\n"),
    }
}

/// A one-line `Use NAME ARG…` whose arguments are plain words.
pub(super) fn use_line(d: &Directive) -> Option<MacroUse> {
    let (name, args) = d.args.split_first()?;
    (bare(name) && args.iter().all(|a| bare(a)) && !d.text.contains('\n')).then(|| MacroUse {
        name: name.clone(),
        arguments: args.to_vec(),
    })
}

/// Whether the file's server-level macros and uses can be typed. The renderer writes
/// the raw lines, then the definitions, then the uses, then the typed virtual hosts
/// (`typed_vhost(i)`: node `i` is one), so: definitions first, then uses, nothing in
/// between; no typed virtual host before them; after them only typed virtual hosts and
/// directives whose place does not matter; no `UndefMacro`; every use of a macro
/// defined before it, one argument per parameter.
pub(super) fn typeable(nodes: &[&Node], typed_vhost: impl Fn(usize) -> bool) -> bool {
    let at: Vec<usize> = (0..nodes.len())
        .filter(|i| as_macro(nodes[*i]).is_some() || as_use(nodes[*i]).is_some())
        .collect();
    let (Some(&first), Some(&last)) = (at.first(), at.last()) else {
        return false;
    };
    if at.len() != last - first + 1 || (0..first).any(&typed_vhost) {
        return false;
    }
    let mut defined: Vec<(String, usize)> = Vec::new();
    let mut used = false;
    for &i in &at {
        if let Some(b) = as_macro(nodes[i]) {
            let Some(m) = definition(b, body(b)).filter(|_| !used) else {
                return false;
            };
            if defined.iter().any(|(n, _)| n.eq_ignore_ascii_case(&m.name)) {
                return false;
            }
            defined.push((m.name, m.parameters.len()));
        } else if let Some(u) = as_use(nodes[i]).and_then(use_line) {
            used = true;
            let known = defined
                .iter()
                .any(|(n, k)| n.eq_ignore_ascii_case(&u.name) && *k == u.arguments.len());
            if !known {
                return false;
            }
        } else {
            return false;
        }
    }
    // `Define` changes what later `${VAR}`s (a macro's too) mean; `UndefMacro` ends one.
    let order_free = |n: &Node| match n {
        Node::Directive(d) => !["Define", "UnDefine", "UndefMacro"].iter().any(|x| d.is(x)),
        _ => false,
    };
    let undef = nodes
        .iter()
        .any(|n| matches!(n, Node::Directive(d) if d.is("UndefMacro")));
    !undef && (last + 1..nodes.len()).all(|i| typed_vhost(i) || order_free(nodes[i]))
}
