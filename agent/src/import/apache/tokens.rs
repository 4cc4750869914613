//! Apache httpd configuration syntax: logical lines (a trailing `\` continues a
//! line; CRLF tolerated), `#` comment lines, directives with arguments quoted the
//! way httpd reads them (`"…"` or `'…'`, a backslash escaping the quote), and
//! `<Section args>` … `</Section>` blocks, nested. `Include`/`IncludeOptional` are
//! parsed as directives; [`Node::Include`] carries the files they expanded to when
//! the caller could read them (on the host: the glob is expanded there).

/// A directive: name as written, arguments unquoted, and the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    /// The directive as written (continuations joined), without indentation.
    pub text: String,
    pub file: String,
    pub line: usize,
}

impl Directive {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
    pub fn arg(&self, i: usize) -> &str {
        self.args.get(i).map(String::as_str).unwrap_or("")
    }
}

/// A `<Name args>` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub name: String,
    pub args: Vec<String>,
    pub file: String,
    pub line: usize,
    pub end_line: usize,
    pub children: Vec<Node>,
    /// The block exactly as written, opening to closing line.
    pub text: String,
}

impl Block {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Directive(Directive),
    Block(Block),
    /// An `Include`/`IncludeOptional` and, when known, the files it reads (path, nodes).
    Include(Directive, Option<Vec<(String, Vec<Node>)>>),
}

impl Node {
    pub fn line(&self) -> usize {
        match self {
            Node::Directive(d) | Node::Include(d, _) => d.line,
            Node::Block(b) => b.line,
        }
    }
    /// The node as written.
    pub fn text(&self) -> &str {
        match self {
            Node::Directive(d) | Node::Include(d, _) => &d.text,
            Node::Block(b) => &b.text,
        }
    }
    pub fn origin(&self) -> String {
        match self {
            Node::Directive(d) | Node::Include(d, _) => format!("{}:{}", d.file, d.line),
            Node::Block(b) => format!("{}:{}", b.file, b.line),
        }
    }
}

/// Splits directive arguments as httpd's `ap_getword_conf` does.
pub fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut word = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            while let Some(x) = chars.next() {
                if x == '\\' && chars.peek() == Some(&c) {
                    word.push(c);
                    chars.next();
                } else if x == c {
                    break;
                } else {
                    word.push(x);
                }
            }
        } else {
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() {
                    break;
                }
                word.push(x);
                chars.next();
            }
        }
        out.push(word);
    }
    out
}

/// One logical line: its first and last physical line numbers and its joined text.
fn logical_lines(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = cur.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                cur = Some((start, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((start, i + 1, acc));
            }
        }
    }
    if let Some((start, acc)) = cur {
        let end = text.split('\n').count();
        out.push((start, end, acc));
    }
    out
}

/// Parses a file into nodes; errors are `(line, message)` and do not stop the parse.
pub fn parse(file: &str, text: &str) -> (Vec<Node>, Vec<(usize, String)>) {
    let physical: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut errors = Vec::new();
    // Stack of open blocks: (block, its children so far).
    let mut stack: Vec<Block> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let push = |stack: &mut Vec<Block>, top: &mut Vec<Node>, n: Node| match stack.last_mut() {
        Some(b) => b.children.push(n),
        None => top.push(n),
    };
    for (no, end, line) in logical_lines(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(rest) = t.strip_prefix("</") {
            let name = rest.trim_end_matches('>').trim();
            match stack.pop() {
                Some(mut b) if b.name.eq_ignore_ascii_case(name) => {
                    b.end_line = no;
                    b.text = physical[b.line - 1..no].join("\n");
                    push(&mut stack, &mut top, Node::Block(b));
                }
                Some(b) => {
                    errors.push((
                        no,
                        format!(
                            "`</{name}>` closes `<{}>` opened at line {}",
                            b.name, b.line
                        ),
                    ));
                    stack.push(b);
                }
                None => errors.push((no, format!("`</{name}>` without an opening `<{name}>`"))),
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix('<') {
            let Some(inner) = rest.strip_suffix('>') else {
                errors.push((no, format!("`{t}`: a section opening must end with `>`")));
                continue;
            };
            let (name, args) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
            stack.push(Block {
                name: name.to_string(),
                args: split_args(args),
                file: file.to_string(),
                line: no,
                end_line: no,
                children: Vec::new(),
                text: String::new(),
            });
            continue;
        }
        let (name, args) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        let written = physical[no - 1..end].join("\n");
        let d = Directive {
            name: name.to_string(),
            args: split_args(args),
            text: written.trim_start().to_string(),
            file: file.to_string(),
            line: no,
        };
        let node = if d.is("Include") || d.is("IncludeOptional") {
            Node::Include(d, None)
        } else {
            Node::Directive(d)
        };
        push(&mut stack, &mut top, node);
    }
    while let Some(mut b) = stack.pop() {
        errors.push((
            b.line,
            format!(
                "`<{}>` is never closed (kept as written up to the end of the file)",
                b.name
            ),
        ));
        b.end_line = physical.len();
        b.text = physical[b.line - 1..].join("\n");
        push(&mut stack, &mut top, Node::Block(b));
    }
    (top, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_continuations_sections() {
        assert_eq!(
            split_args(r#"set X "a \"b\" c" 'd e'"#),
            ["set", "X", "a \"b\" c", "d e"]
        );
        let text = "# c\r\n<VirtualHost *:80>\r\n  BrowserMatch \"MSIE\" \\\r\n     nokeepalive\r\n  <Location /x>\n    Require all granted\n  </Location>\n</VirtualHost>\n";
        let (nodes, errors) = parse("f.conf", text);
        assert!(errors.is_empty(), "{errors:?}");
        let Node::Block(v) = &nodes[0] else { panic!() };
        assert_eq!(
            (v.line, v.end_line, v.args.as_slice()),
            (2, 8, &["*:80".to_string()][..])
        );
        let Node::Directive(bm) = &v.children[0] else {
            panic!()
        };
        assert_eq!(bm.args, ["MSIE", "nokeepalive"]);
        assert_eq!(bm.line, 3);
        let Node::Block(l) = &v.children[1] else {
            panic!()
        };
        assert_eq!(
            l.text,
            "  <Location /x>\n    Require all granted\n  </Location>"
        );
    }

    #[test]
    fn broken_nesting_is_reported_with_its_line() {
        let (_, errors) = parse("f", "<VirtualHost *:80>\n</Location>\n");
        assert_eq!(errors[0].0, 2);
        assert!(
            errors[0]
                .1
                .contains("closes `<VirtualHost>` opened at line 1"),
            "{errors:?}"
        );
        assert!(errors[1].1.contains("never closed"), "{errors:?}");
    }
}
