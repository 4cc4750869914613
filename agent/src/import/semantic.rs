//! The normalised form two configurations are compared in: what they *mean*, not
//! how they are written.
//!
//! Each format reduces a file to a sequence of canonical lines, one per directive,
//! each prefixed with the section it belongs to (`backend app | server w1 …`), in a
//! canonical order: sections sorted where their order does not matter, directives
//! grouped by class, the order kept inside a class where the tool honours it
//! (`http-request` rules, `ProxyPass`, `RewriteRule`, servers…). Comments, blank
//! lines, whitespace, quoting, keyword case and values equal to the tool's default are
//! gone. Two files mean the same when their canonical lines are equal.
//!
//! Used by the import's round-trip proof (live ↔ rendered) and by `agent diff`, which
//! notes a change as "formatting only" when the two sides' forms are equal
//! ([`formatting_note`]).

/// One canonical line and where it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// `file:line` of the directive.
    pub origin: String,
}

/// A configuration in canonical form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normal {
    pub lines: Vec<Line>,
}

impl Normal {
    pub fn push(&mut self, text: String, origin: String) {
        self.lines.push(Line { text, origin });
    }

    pub fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }
}

/// The differences from `live` to `rendered`: `- text (origin)` for what only the live
/// file has, `+ text (origin)` for what only the rendered one has. Empty: same meaning.
pub fn differences(live: &Normal, rendered: &Normal) -> Vec<String> {
    let (a, b) = (live.texts(), rendered.texts());
    let mut out = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b) {
        match op {
            similar::DiffOp::Equal { .. } => {}
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => out.extend(live.lines[old_index..old_index + old_len].iter().map(minus)),
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => out.extend(
                rendered.lines[new_index..new_index + new_len]
                    .iter()
                    .map(plus),
            ),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                out.extend(live.lines[old_index..old_index + old_len].iter().map(minus));
                out.extend(
                    rendered.lines[new_index..new_index + new_len]
                        .iter()
                        .map(plus),
                );
            }
        }
    }
    out
}

fn minus(l: &Line) -> String {
    format!("- {} ({})", l.text, l.origin)
}

fn plus(l: &Line) -> String {
    format!("+ {} ({})", l.text, l.origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(lines: &[&str]) -> Normal {
        let mut n = Normal::default();
        for (i, l) in lines.iter().enumerate() {
            n.push(l.to_string(), format!("f:{}", i + 1));
        }
        n
    }

    #[test]
    fn differences_name_both_sides() {
        let a = normal(&["global | daemon", "backend b | server w1 1.2.3.4:80"]);
        let b = normal(&["global | daemon", "backend b | server w1 1.2.3.5:80"]);
        assert!(differences(&a, &a).is_empty());
        assert_eq!(
            differences(&a, &b),
            [
                "- backend b | server w1 1.2.3.4:80 (f:2)",
                "+ backend b | server w1 1.2.3.5:80 (f:2)"
            ]
        );
    }
}
