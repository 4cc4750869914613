//! Turning serde's error texts into diagnostics a person can act on.
//!
//! serde_yaml reports `PATH: MESSAGE at line L column C`, where MESSAGE is one of
//! serde's standard texts (`unknown field`, `missing field`, `invalid type`...).
//! This module splits that apart, and adds a hint: the closest allowed name for
//! unknown fields and variants, the valid range for out-of-range numbers.

/// The closest candidate to `word` (case-insensitive edit distance), if close enough
/// to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&w, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A serde_yaml error taken apart.
#[derive(Debug, PartialEq)]
pub(crate) struct Explained {
    /// Value path serde was at (`spec.hosts[0]`), empty for the document root.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    /// Position relative to the text serde read (1-based).
    pub line: usize,
    pub column: usize,
}

/// serde_yaml's message without the ` at line L column C` it appends.
pub(crate) fn bare_message(e: &serde_yaml::Error) -> String {
    let mut text = e.to_string();
    if e.location().is_some() {
        if let Some(cut) = text.rfind(" at line ") {
            text.truncate(cut);
        }
    }
    text
}

pub(crate) fn explain(e: &serde_yaml::Error) -> Explained {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    let text = bare_message(e);
    let (path, raw) = split_path(&text);
    let (message, hint) = describe(path, raw);
    Explained {
        path: path.to_string(),
        message,
        hint,
        line,
        column,
    }
}

/// serde_yaml prefixes the message with the value path when it is not the root.
fn split_path(text: &str) -> (&str, &str) {
    if let Some((p, rest)) = text.split_once(": ") {
        let is_path = !p.is_empty()
            && p.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '?'));
        if is_path {
            return (p, rest);
        }
    }
    ("", text)
}

/// Names between backticks, in order.
fn ticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn describe(path: &str, raw: &str) -> (String, Option<String>) {
    let place = place(path);
    for what in ["field", "variant"] {
        if let Some(rest) = raw.strip_prefix(&format!("unknown {what} `")) {
            let (bad, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let noun = if what == "field" { "field" } else { "value" };
            return unknown(noun, path, bad, &ticked(tail));
        }
    }
    if let Some(rest) = raw.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return missing(path, name);
    }
    if let Some(rest) = raw.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return (
            format!("field `{name}` is given twice in {place}"),
            Some("keep only one".into()),
        );
    }
    if let Some(rest) = raw.strip_prefix("invalid value: integer `") {
        let (number, expected) = rest.split_once("`, expected ").unwrap_or((rest, ""));
        return (
            format!("{number} is out of range for {place}"),
            Some(range_hint(path, expected)),
        );
    }
    if raw.starts_with("invalid type: ") || raw.starts_with("invalid value: ") {
        let expected = raw.split_once(", expected ").map(|(_, e)| e);
        let hint = expected.map(|e| format!("write {}", plain_expected(path, e)));
        return (format!("{place}: {raw}"), hint);
    }
    (format!("{place}: {raw}"), None)
}

fn place(path: &str) -> String {
    if path.is_empty() {
        "the document".to_string()
    } else {
        format!("`{path}`")
    }
}

/// Message and hint for an unknown field (`noun` = "field") or enum value ("value").
pub(crate) fn unknown(
    noun: &str,
    path: &str,
    bad: &str,
    allowed: &[&str],
) -> (String, Option<String>) {
    let hint = match closest(bad, allowed.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if allowed.is_empty() => format!("`{path}` takes no {noun}s"),
        None => format!("allowed: {}", quote_list(allowed)),
    };
    (
        format!("unknown {noun} `{bad}` in {}", place(path)),
        Some(hint),
    )
}

/// Message and hint for a required field that is absent.
pub(crate) fn missing(path: &str, name: &str) -> (String, Option<String>) {
    (
        format!("missing required field `{name}` in {}", place(path)),
        Some(format!("add `{name}: ...`")),
    )
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn last_key(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).to_lowercase()
}

fn range_hint(path: &str, expected: &str) -> String {
    let key = last_key(path);
    if key == "nodeport" {
        return "a NodePort is 30000-32767".into();
    }
    if key.ends_with("port") && expected == "u16" {
        return "a TCP port is 1-65535".into();
    }
    if key == "cidrnetmask" {
        return "an IPv4 netmask length is 0-32".into();
    }
    format!("a whole number in {}", plain_expected(path, expected))
}

fn plain_expected(path: &str, expected: &str) -> String {
    match expected {
        "u8" => "0-255".into(),
        "u16" if last_key(path).ends_with("port") => "a TCP port 1-65535".into(),
        "u16" => "0-65535".into(),
        "u32" => "0-4294967295".into(),
        "a boolean" => "`true` or `false`".into(),
        "a sequence" => "a list (`- item` lines or `[a, b]`)".into(),
        "a string" => "a string (quote it: \"...\")".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_only() {
        let c = ["name", "address", "roles"];
        assert_eq!(closest("adress", c), Some("address"));
        assert_eq!(closest("Roles", c), Some("roles"));
        assert_eq!(closest("completelydifferent", c), None);
    }

    #[test]
    fn unknown_field_gets_suggestion() {
        let (m, h) = describe(
            "spec.hosts[0]",
            "unknown field `adress`, expected one of `name`, `address`",
        );
        assert_eq!(m, "unknown field `adress` in `spec.hosts[0]`");
        assert_eq!(h.as_deref(), Some("did you mean `address`?"));
    }

    #[test]
    fn port_out_of_range_names_the_range() {
        let (m, h) = describe("spec.port", "invalid value: integer `70000`, expected u16");
        assert_eq!(m, "70000 is out of range for `spec.port`");
        assert_eq!(h.as_deref(), Some("a TCP port is 1-65535"));
    }

    #[test]
    fn root_messages_have_no_path() {
        assert_eq!(
            split_path("invalid type: string"),
            ("", "invalid type: string")
        );
        assert_eq!(split_path("spec.a[0]: missing"), ("spec.a[0]", "missing"));
    }
}
