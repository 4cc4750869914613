//! What an import did with each file: how many directives were typed, copied to a
//! `raw`/`extra` escape hatch, refused, or left alone on the host, with the source
//! line of every one that was not typed, and every parse error (host, file, line).
//!
//! The summary is plain data: printed at the end of `agent import`, written to the
//! output repo (`IMPORT.md`, `.import/summary.json`) and read by the corpus table.

use serde::Serialize;
use std::fmt;

/// The configuration formats import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Haproxy,
    Apache,
    Cib,
    Corosync,
    K8s,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Haproxy => "haproxy",
            Format::Apache => "apache",
            Format::Cib => "cib",
            Format::Corosync => "corosync",
            Format::K8s => "k8s",
        }
    }
}

/// Where a directive went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fate {
    /// Into a typed field of the model.
    Typed,
    /// Verbatim into an escape hatch (`raw`, `extra`), with its source line.
    Raw,
    /// Not imported (e.g. superseded by a later line with the same effect); the reason says why.
    Refused,
    /// Left on the host, never managed by the agent (corosync settings, CIB status...).
    Unmanaged,
}

/// One directive that was not simply typed, or a note about a choice made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub line: usize,
    pub fate: Fate,
    pub what: String,
    pub why: String,
}

/// A line import could not read: host, file, line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(h) = &self.host {
            write!(f, "{h}:")?;
        }
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Everything import says about one source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub file: String,
    pub format: Format,
    /// The repo file the result was written to.
    pub written_to: String,
    pub typed: usize,
    pub raw: usize,
    pub refused: usize,
    pub unmanaged: usize,
    /// Every directive not typed, and every choice worth a look, in line order.
    pub items: Vec<Item>,
    pub errors: Vec<ParseError>,
    /// The semantic comparison live ↔ rendered: `None` until the round trip ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_differences: Option<Vec<String>>,
    /// Source lines already counted as typed (a line is counted once).
    #[serde(skip)]
    pub typed_lines: std::collections::BTreeSet<usize>,
}

impl FileSummary {
    pub fn new(host: Option<&str>, file: &str, format: Format) -> Self {
        FileSummary {
            host: host.map(str::to_string),
            file: file.to_string(),
            format,
            written_to: String::new(),
            typed: 0,
            raw: 0,
            refused: 0,
            unmanaged: 0,
            items: Vec::new(),
            errors: Vec::new(),
            semantic_differences: None,
            typed_lines: Default::default(),
        }
    }

    /// Counts one directive of `fate`; anything not typed is listed with its line.
    pub fn count(&mut self, line: usize, fate: Fate, what: impl Into<String>, why: &str) {
        if fate == Fate::Typed && line > 0 && !self.typed_lines.insert(line) {
            return;
        }
        match fate {
            Fate::Typed => self.typed += 1,
            Fate::Raw => self.raw += 1,
            Fate::Refused => self.refused += 1,
            Fate::Unmanaged => self.unmanaged += 1,
        }
        if fate != Fate::Typed {
            self.items.push(Item {
                line,
                fate,
                what: what.into(),
                why: why.to_string(),
            });
        }
    }

    /// Whether source line `no` was counted as typed.
    pub fn typed_seen(&self, no: usize) -> bool {
        self.typed_lines.contains(&no)
    }

    pub fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ParseError {
            host: self.host.clone(),
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    pub fn total(&self) -> usize {
        self.typed + self.raw + self.refused + self.unmanaged
    }

    /// Share of the imported directives that went to an escape hatch, in percent.
    pub fn raw_percent(&self) -> f64 {
        let managed = self.typed + self.raw;
        if managed == 0 {
            0.0
        } else {
            100.0 * self.raw as f64 / managed as f64
        }
    }

    /// `host:file` or `file`.
    pub fn label(&self) -> String {
        match &self.host {
            Some(h) => format!("{h}:{}", self.file),
            None => self.file.clone(),
        }
    }

    /// The text block `agent import` prints for this file.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} ({}) → {}: {} typed, {} raw, {} refused, {} left on the host\n",
            self.label(),
            self.format.as_str(),
            self.written_to,
            self.typed,
            self.raw,
            self.refused,
            self.unmanaged
        );
        for e in &self.errors {
            out.push_str(&format!("  error: {e}\n"));
        }
        for i in &self.items {
            let fate = match i.fate {
                Fate::Typed => "note",
                Fate::Raw => "raw",
                Fate::Refused => "refused",
                Fate::Unmanaged => "left on host",
            };
            out.push_str(&format!(
                "  line {}: {fate}: {} ({})\n",
                i.line, i.what, i.why
            ));
        }
        match &self.semantic_differences {
            None => {}
            Some(d) if d.is_empty() => out.push_str("  semantic comparison: no difference\n"),
            Some(d) => {
                out.push_str(&format!(
                    "  semantic comparison: {} difference(s)\n",
                    d.len()
                ));
                for l in d {
                    out.push_str(&format!("    {l}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_lists_what_was_not_typed() {
        let mut s = FileSummary::new(Some("ha1"), "/etc/haproxy/haproxy.cfg", Format::Haproxy);
        s.count(3, Fate::Typed, "maxconn 100", "");
        s.count(
            4,
            Fate::Raw,
            "tune.ssl.default-dh-param 2048",
            "not modelled",
        );
        s.error(9, "unterminated quote");
        assert_eq!((s.typed, s.raw, s.total()), (1, 1, 2));
        assert_eq!(s.raw_percent(), 50.0);
        let t = s.text();
        assert!(
            t.contains("line 4: raw: tune.ssl.default-dh-param 2048 (not modelled)"),
            "{t}"
        );
        assert!(
            t.contains("error: ha1:/etc/haproxy/haproxy.cfg:9: unterminated quote"),
            "{t}"
        );
    }
}
