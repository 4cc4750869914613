//! haproxy.cfg as HAProxy reads it: lines (CRLF tolerated), words split on unquoted
//! blanks, `#` comments, `"…"` (escapes processed, `${VAR}` kept as written) and
//! `'…'` quoting, backslash escapes (`\ `, `\#`, `\\`, `\"`, `\'`, `\r`, `\n`, `\t`,
//! `\xHH`), then sections (a line starting with a section keyword opens one).
//!
//! Every word keeps its byte span in the line, so import can copy the rest of a
//! line exactly as written (`acl is_api path_beg /api`), quoting included.

/// One word: its value as HAProxy sees it, and where it is written in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// One line holding a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the file.
    pub no: usize,
    /// The line as written, without its end of line.
    pub raw: String,
    pub words: Vec<Word>,
    /// Why the line could not be split into words (it is kept verbatim).
    pub error: Option<String>,
}

impl Line {
    pub fn word(&self, i: usize) -> &str {
        self.words.get(i).map(|w| w.text.as_str()).unwrap_or("")
    }

    /// The line from word `i` on, exactly as written (comment excluded); empty past the end.
    pub fn rest(&self, i: usize) -> String {
        match (self.words.get(i), self.words.last()) {
            (Some(a), Some(b)) => self.raw[a.start..b.end].to_string(),
            _ => String::new(),
        }
    }

    /// The directive as written, without indentation or trailing comment.
    pub fn text(&self) -> String {
        if self.error.is_some() {
            return self.raw.trim().to_string();
        }
        self.rest(0)
    }

    pub fn texts(&self) -> Vec<&str> {
        self.words.iter().map(|w| w.text.as_str()).collect()
    }
}

/// The keywords that open a section.
pub const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "fcgi-app",
    "log-forward",
    "crt-store",
    "traces",
    "acme",
];

/// One section: its header and its directive lines, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub header: Line,
    pub lines: Vec<Line>,
    /// Line number of the last line that belongs to it (comments included).
    pub last: usize,
}

impl Section {
    pub fn kind(&self) -> &str {
        self.header.word(0)
    }
    pub fn name(&self) -> &str {
        self.header.word(1)
    }
    pub fn is_proxy(&self) -> bool {
        matches!(self.kind(), "frontend" | "backend" | "listen")
    }
}

/// A whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Directive lines before the first section (HAProxy refuses them).
    pub outside: Vec<Line>,
    pub sections: Vec<Section>,
    /// The file uses `.if`/`.else`/`.endif` conditional blocks or `.diag`-like directives.
    pub conditional: bool,
    /// The file's lines (for copying sections verbatim).
    pub text_lines: Vec<String>,
}

impl Config {
    /// The lines `from..=to` (1-based) exactly as written.
    pub fn verbatim(&self, from: usize, to: usize) -> String {
        let mut s = self.text_lines[from - 1..to.min(self.text_lines.len())].join("\n");
        s.push('\n');
        s
    }
}

/// Splits one line into words, or says why it cannot be.
pub fn words(line: &str) -> Result<Vec<Word>, String> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'#' {
            break;
        }
        let start = i;
        let mut text: Vec<u8> = Vec::new();
        while i < b.len() && b[i] != b' ' && b[i] != b'\t' && b[i] != b'#' {
            match b[i] {
                b'\\' => {
                    let (bytes, used) = escape(&b[i..]);
                    text.extend_from_slice(&bytes);
                    i += used;
                }
                b'"' => {
                    i += 1;
                    loop {
                        match b.get(i) {
                            None => return Err("unterminated double quote".into()),
                            Some(b'"') => break,
                            Some(b'\\') => {
                                let (bytes, used) = escape(&b[i..]);
                                text.extend_from_slice(&bytes);
                                i += used;
                            }
                            Some(&c) => {
                                text.push(c);
                                i += 1;
                            }
                        }
                    }
                    i += 1;
                }
                b'\'' => {
                    let close = b[i + 1..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .ok_or_else(|| "unterminated single quote".to_string())?;
                    text.extend_from_slice(&b[i + 1..i + 1 + close]);
                    i += close + 2;
                }
                c => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        out.push(Word {
            text: String::from_utf8_lossy(&text).into_owned(),
            start,
            end: i,
        });
    }
    Ok(out)
}

/// One backslash escape at the start of `b`: the bytes it stands for and its length.
fn escape(b: &[u8]) -> (Vec<u8>, usize) {
    match b.get(1) {
        None => (vec![b'\\'], 1),
        Some(b'r') => (vec![b'\r'], 2),
        Some(b'n') => (vec![b'\n'], 2),
        Some(b't') => (vec![b'\t'], 2),
        Some(b'x') if b.len() >= 4 => {
            let hex = std::str::from_utf8(&b[2..4]).ok();
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) => (vec![v], 4),
                None => (b[..2].to_vec(), 2),
            }
        }
        Some(&c @ (b' ' | b'#' | b'\\' | b'"' | b'\'' | b'$')) => (vec![c], 2),
        Some(&c) => (vec![b'\\', c], 2),
    }
}

/// Reads a whole file: lines, words, sections.
pub fn parse(text: &str) -> Config {
    let mut cfg = Config::default();
    let mut current: Option<Section> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        cfg.text_lines.push(raw.to_string());
        let no = i + 1;
        let (words, error) = match words(raw) {
            Ok(w) => (w, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        if words.is_empty() && error.is_none() {
            if let Some(s) = current.as_mut() {
                s.last = no;
            }
            continue;
        }
        let line = Line {
            no,
            raw: raw.to_string(),
            words,
            error,
        };
        if line.word(0).starts_with('.') {
            cfg.conditional = true;
        }
        if SECTIONS.contains(&line.word(0)) {
            if let Some(s) = current.take() {
                cfg.sections.push(s);
            }
            current = Some(Section {
                header: line,
                lines: Vec::new(),
                last: no,
            });
        } else if let Some(s) = current.as_mut() {
            s.last = no;
            s.lines.push(line);
        } else {
            cfg.outside.push(line);
        }
    }
    if let Some(mut s) = current.take() {
        // Trailing blank lines and comments after the last directive stay with it.
        s.last = s.last.min(cfg.text_lines.len());
        cfg.sections.push(s);
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(l: &str) -> Vec<String> {
        words(l).unwrap().into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn quoting_escapes_and_comments() {
        assert_eq!(
            texts("  stats realm Haproxy\\ Statistics # c"),
            ["stats", "realm", "Haproxy Statistics"]
        );
        assert_eq!(
            texts(r#"http-request set-header X "a b" 'c d'"#),
            ["http-request", "set-header", "X", "a b", "c d"]
        );
        assert_eq!(
            texts(r#"option httpchk GET / HTTP/1.1\r\nHost:\ www"#)[4],
            "HTTP/1.1\r\nHost: www"
        );
        assert_eq!(texts(r#"bind "${ADDR}:80""#)[1], "${ADDR}:80");
        assert!(words(r#"acl x "open"#).is_err());
    }

    #[test]
    fn sections_and_rest_of_line() {
        let cfg = parse(
            "# top\r\nglobal\r\n  daemon\r\n\r\nbackend b\n  acl is_x  path_beg  \"/x y\"  # why\n",
        );
        assert_eq!(cfg.sections.len(), 2);
        let acl = &cfg.sections[1].lines[0];
        assert_eq!(acl.rest(2), "path_beg  \"/x y\"");
        assert_eq!(acl.text(), "acl is_x  path_beg  \"/x y\"");
        assert_eq!(cfg.sections[0].last, 4);
    }
}
