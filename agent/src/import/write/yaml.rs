//! A small block-style YAML writer that puts comments above the values they explain.
//!
//! serde_yaml writes no comments; import's output is read by people deciding
//! whether to trust it, so every choice is explained where it was made. Keys keep
//! their order, multi-line strings are literal blocks (`|`), other scalars are
//! quoted exactly as serde_yaml would quote them. The output parses back to the
//! same value (checked by the tests).

use crate::import::doc::Comments;
use serde_yaml::Value;
use std::fmt::Write;

/// `value` as YAML, with `comments` (by path: `spec.backends[0].extra`) above values.
pub fn to_yaml(value: &Value, comments: &Comments) -> String {
    let mut out = String::new();
    match value {
        Value::Mapping(m) => mapping(&mut out, m, 0, "", comments),
        other => out.push_str(&scalar(other, 0)),
    }
    out
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn comment_lines(out: &mut String, indent: usize, lines: &[String]) {
    for c in lines {
        for l in c.lines() {
            let _ = writeln!(out, "{:indent$}# {}", "", l.trim_end());
        }
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => scalar(&Value::String(s.clone()), 0).trim_end().to_string(),
        other => scalar(other, 0).trim_end().to_string(),
    }
}

fn is_empty_collection(v: &Value) -> Option<&'static str> {
    match v {
        Value::Mapping(m) if m.is_empty() => Some("{}"),
        Value::Sequence(s) if s.is_empty() => Some("[]"),
        _ => None,
    }
}

fn mapping(
    out: &mut String,
    m: &serde_yaml::Mapping,
    indent: usize,
    path: &str,
    comments: &Comments,
) {
    for (k, v) in m {
        let key = key_text(k);
        let p = child_path(path, k.as_str().unwrap_or(&key));
        comment_lines(out, indent, comments.get(&p));
        let _ = write!(out, "{:indent$}{key}:", "");
        value(out, v, indent, &p, comments);
    }
}

/// A value after `key:` (or after `- `), ending with a newline.
fn value(out: &mut String, v: &Value, indent: usize, path: &str, comments: &Comments) {
    if let Some(e) = is_empty_collection(v) {
        let _ = writeln!(out, " {e}");
        return;
    }
    match v {
        Value::Mapping(m) => {
            out.push('\n');
            mapping(out, m, indent + 2, path, comments);
        }
        Value::Sequence(items) => {
            out.push('\n');
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                comment_lines(out, indent + 2, comments.get(&p));
                let _ = write!(out, "{:w$}-", "", w = indent + 2);
                match item {
                    Value::Mapping(m) if !m.is_empty() => {
                        // The first key on the dash line, the others aligned under it.
                        let mut first = true;
                        for (k, v) in m {
                            let key = key_text(k);
                            let kp = child_path(&p, k.as_str().unwrap_or(&key));
                            if first {
                                let c = comments.get(&kp);
                                if !c.is_empty() {
                                    out.push('\n');
                                    comment_lines(out, indent + 4, c);
                                    let _ = write!(out, "{:w$}{key}:", "", w = indent + 4);
                                } else {
                                    let _ = write!(out, " {key}:");
                                }
                                first = false;
                            } else {
                                comment_lines(out, indent + 4, comments.get(&kp));
                                let _ = write!(out, "{:w$}{key}:", "", w = indent + 4);
                            }
                            value(out, v, indent + 4, &kp, comments);
                        }
                    }
                    other => value(out, other, indent + 2, &p, comments),
                }
            }
        }
        other => {
            let s = scalar(other, indent + 2);
            if s.starts_with('|') {
                let _ = write!(out, " {s}");
            } else {
                let _ = writeln!(out, " {}", s.trim_end());
            }
        }
    }
}

/// One scalar; multi-line strings as literal blocks indented by `indent`.
fn scalar(v: &Value, indent: usize) -> String {
    if let Value::String(s) = v {
        if s.contains('\n') && block_safe(s) {
            return literal(s, indent);
        }
    }
    let text = serde_yaml::to_string(v).unwrap_or_default();
    let text = text
        .strip_prefix("---\n")
        .unwrap_or(&text)
        .trim_end()
        .to_string();
    if text.contains('\n') {
        // serde_yaml chose a block form: use a double-quoted one-liner instead.
        return serde_json::to_string(&v.as_str().unwrap_or_default()).unwrap_or_default();
    }
    text
}

/// Literal blocks keep everything but some control characters and trailing blanks.
fn block_safe(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && !s.lines().any(|l| l.ends_with(' ') || l.ends_with('\t'))
        && !s.starts_with('\n')
}

fn literal(s: &str, indent: usize) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let body = s.trim_end_matches('\n');
    let indicator = if body.starts_with(' ') {
        format!("{indent_ind}", indent_ind = 2)
    } else {
        String::new()
    };
    let mut out = format!("|{indicator}{chomp}\n");
    for l in body.split('\n') {
        if l.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{:indent$}{l}", "");
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_comments() {
        let v: Value = serde_yaml::from_str(
            "spec:\n  name: 'x: y'\n  list: [a, 'b c', {k: 1, j: [2]}]\n  raw: \"line1\\n  line2\\n\\tline3\\n\"\n  lead: \"  indented\\nnext\"\n  empty: []\n  n: 3\n  t: true\n  q: 'yes'\n",
        )
        .unwrap();
        let mut c = Comments::default();
        c.add("spec.raw", "why raw");
        c.add("spec.list[2]", "third");
        c.add("spec.list[2].k", "the k");
        let text = to_yaml(&v, &c);
        assert!(
            text.contains("  # why raw\n  raw: |\n    line1\n"),
            "{text}"
        );
        assert!(text.contains("    # the k\n"), "{text}");
        let back: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, v, "{text}");
    }
}
