//! The house rules of the product's source tree, checked on every test run
//! (docs/architecture.md, "Checking the structure"):
//!
//! - no file of the product crates (`agent`, `schema`) is part of an import cycle:
//!   a `use` or a qualified path (`crate::…`, `super::…`, `self::…`) is an edge from
//!   the file that writes it to the file defining the module it names; `mod x;`
//!   declarations are ownership, not imports, and test code (`*_tests.rs`, the
//!   `#[cfg(test)]` tail of a file) is left out;
//! - no product file is longer than [`MAX_LINES`] lines (test files excepted);
//! - the code points into this repository, never to documents outside it.
//!
//! The checker is deliberately small: a line-based reader of `use` trees and paths,
//! enough for this code base's style (rustfmt-formatted, no macros that generate
//! imports). A failure lists the cycle or the file, so it says what to move.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// One crate's modules: module path (`targets::cluster::apply`) → file.
struct Crate {
    modules: BTreeMap<String, PathBuf>,
}

fn crate_root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn is_test_file(p: &Path) -> bool {
    let name = p.file_stem().unwrap().to_string_lossy();
    name.ends_with("_tests") || name == "tests"
}

/// `targets/cluster/apply.rs` → `targets::cluster::apply`; `mod.rs`, `lib.rs`,
/// `main.rs` name their directory; `bin/*` are roots of their own.
fn module_path(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    Some(parts.join("::"))
}

impl Crate {
    fn load(name: &str) -> (Crate, Vec<PathBuf>) {
        let root = crate_root(name);
        let mut files = vec![];
        rust_files(&root, &mut files);
        files.sort();
        let modules = files
            .iter()
            .filter(|f| !is_test_file(f))
            .filter_map(|f| module_path(&root, f).map(|m| (m, f.clone())))
            .collect();
        (Crate { modules }, files)
    }

    /// The file of the longest module prefix of `path` (`targets::cluster::Elem` →
    /// `targets/cluster/mod.rs`).
    fn resolve(&self, path: &[String]) -> Option<&PathBuf> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.modules.get(&path[..n].join("::")))
    }
}

/// The product part of a file: everything before its `#[cfg(test)]` module, without
/// comments. Inside an inline `mod name { … }`, `super::` names the file's own module:
/// it is written `self::` here so that paths resolve from the file.
fn product_text(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut inline_depth: Option<i32> = None;
    while let Some(l) = lines.next() {
        let t = l.trim();
        if t == "#[cfg(test)]" {
            let next = lines.peek().map(|n| n.trim()).unwrap_or("");
            if next.starts_with("mod ") || next.starts_with("#[path") {
                break;
            }
        }
        if t.starts_with("//") {
            continue;
        }
        let opens_inline = inline_depth.is_none()
            && t.ends_with('{')
            && t.trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ")
                .starts_with("mod ");
        if opens_inline {
            inline_depth = Some(0);
        }
        let mut line = l.to_string();
        if let Some(d) = inline_depth.as_mut() {
            line = line.replace("super::", "self::");
            *d += l.matches('{').count() as i32 - l.matches('}').count() as i32;
            if *d <= 0 && !opens_inline {
                inline_depth = None;
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Expands one `use` tree (`a::{b, c::{d, e}}`) into full paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let t = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![t.trim_end_matches("::*").to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = vec![];
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .flat_map(|i| {
            expand(i).into_iter().map(move |p| {
                if p == "self" {
                    prefix.trim_end_matches("::").to_string()
                } else {
                    format!("{prefix}{p}")
                }
            })
        })
        .collect()
}

/// The text with string and char literals emptied (their contents are not code).
fn without_literals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            out.push('"');
            while let Some(d) = chars.next() {
                match d {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    '\n' => out.push('\n'),
                    _ => {}
                }
            }
            out.push('"');
        } else {
            out.push(c);
        }
    }
    out
}

/// Every crate-internal path the text names, as written.
fn named_paths(text: &str) -> Vec<String> {
    let text = without_literals(text);
    let mut out = vec![];
    let mut stmt: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let t = t
            .strip_prefix("pub ")
            .or_else(|| t.strip_prefix("pub(crate) "))
            .or_else(|| t.strip_prefix("pub(super) "))
            .unwrap_or(t);
        match &mut stmt {
            Some(s) => s.push_str(line),
            None => stmt = t.strip_prefix("use ").map(str::to_string),
        }
        if stmt.as_deref().is_some_and(|s| s.contains(';')) {
            let s = stmt.take().unwrap();
            out.extend(expand(s.split(';').next().unwrap_or("")));
        }
    }
    let bytes = text.as_bytes();
    for kw in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(kw) {
            let at = from + i;
            from = at + kw.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            if at > 0 && bytes[at - 1] == b':' {
                continue; // `super::super::`: handled from its first segment
            }
            let end = text[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map(|e| at + e)
                .unwrap_or(text.len());
            let path = text[at..end].trim_end_matches(':');
            // `super::{…}` in a `use` tree: the tree's own paths were read above.
            if path.contains("::") {
                out.push(path.to_string());
            }
        }
    }
    out
}

/// `child::…` paths written in expressions, for the children of the file's module.
fn child_paths(text: &str, children: &[String]) -> Vec<String> {
    let text = without_literals(text);
    let bytes = text.as_bytes();
    let mut out = vec![];
    for c in children {
        let pat = format!("{c}::");
        let mut from = 0;
        while let Some(i) = text[from..].find(&pat) {
            let at = from + i;
            from = at + pat.len();
            let prev = if at > 0 { bytes[at - 1] } else { b' ' };
            if prev.is_ascii_alphanumeric() || prev == b'_' || prev == b':' {
                continue;
            }
            out.push(format!("self::{c}"));
        }
    }
    out
}

/// `path` as written in module `here` → absolute segments.
fn absolute(here: &str, path: &str) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segs.first()? {
        &"crate" => {
            segs.remove(0);
            vec![]
        }
        &"super" | &"self" => here
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        _ => return None,
    };
    while let Some(&s) = segs.first() {
        match s {
            "super" => {
                base.pop()?;
            }
            "self" => {}
            _ => break,
        }
        segs.remove(0);
    }
    base.extend(segs.into_iter().map(String::from));
    Some(base)
}

/// Edges between the crate's product files.
fn edges(name: &str) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let root = crate_root(name);
    let (krate, files) = Crate::load(name);
    let mut out: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in files.iter().filter(|f| !is_test_file(f)) {
        let Some(here) = module_path(&root, f) else {
            continue;
        };
        let text = product_text(&std::fs::read_to_string(f).unwrap());
        let targets = out.entry(f.clone()).or_default();
        // Expression paths into child modules (`validate::run(..)`), 2018 style.
        let children: Vec<String> = krate
            .modules
            .keys()
            .filter_map(|m| {
                let rest = if here.is_empty() {
                    Some(m.as_str())
                } else {
                    m.strip_prefix(&format!("{here}::"))
                }?;
                (!rest.is_empty() && !rest.contains("::")).then(|| rest.to_string())
            })
            .collect();
        let mut paths = named_paths(&text);
        paths.extend(child_paths(&text, &children));
        for p in paths {
            // `use child::X` (2018 paths) names a module declared here.
            let abs = absolute(&here, &p).or_else(|| {
                let rel = format!("{here}::{p}");
                let first = rel.split("::").take(here.split("::").count() + 1);
                let child: Vec<&str> = first.collect();
                krate
                    .modules
                    .contains_key(child.join("::").trim_start_matches("::"))
                    .then(|| absolute(&here, &format!("self::{p}")))
                    .flatten()
            });
            let Some(abs) = abs else {
                continue;
            };
            if let Some(to) = krate.resolve(&abs) {
                if to != f && std::env::var_os("ARCH_DEBUG").is_some() {
                    eprintln!("{} -> {} ({p})", show(f), show(to));
                }
                if to != f {
                    targets.insert(to.clone());
                }
            }
        }
    }
    out
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct T<'a> {
        g: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a PathBuf) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = vec![];
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on: BTreeSet::new(),
        out: vec![],
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn show(p: &Path) -> String {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    p.strip_prefix(&ws)
        .unwrap_or(p)
        .display()
        .to_string()
        .replace("agent/../", "")
}

#[test]
fn no_product_file_is_part_of_an_import_cycle() {
    let mut report = vec![];
    for name in ["agent", "schema"] {
        for comp in cycles(&edges(name)) {
            report.push(
                comp.iter()
                    .map(|p| show(p))
                    .collect::<Vec<_>>()
                    .join(" <-> "),
            );
        }
    }
    assert!(
        report.is_empty(),
        "{} import cycle(s) between product files:\n  {}",
        report.len(),
        report.join("\n  ")
    );
}

#[test]
fn no_product_file_is_over_the_line_limit() {
    let mut long = vec![];
    for name in ["agent", "schema"] {
        let (_, files) = Crate::load(name);
        for f in files.iter().filter(|f| !is_test_file(f)) {
            let text = std::fs::read_to_string(f).unwrap();
            let n = product_text(&text).lines().count();
            if n > MAX_LINES {
                long.push(format!("{} ({n} lines)", show(f)));
            }
        }
    }
    assert!(
        long.is_empty(),
        "product files over {MAX_LINES} lines (code, without comments and tests):\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn the_code_points_into_the_repository() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut bad = vec![];
    for dir in [
        "agent/src",
        "schema/src",
        "tests/src",
        "tests/tests",
        "agent/tests",
    ] {
        let mut files = vec![];
        rust_files(&ws.join(dir), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, l) in text.lines().enumerate() {
                if ["DESIGN.md", "STYLE.md", "../shared"]
                    .iter()
                    .any(|w| l.contains(w))
                    && !f.ends_with("architecture.rs")
                {
                    bad.push(format!("{}:{}: {}", show(&f), i + 1, l.trim()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "references to documents outside this repository:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn the_checker_sees_edges_and_cycles() {
    assert_eq!(
        expand("super::{a::{B, C}, d, self}"),
        ["super::a::B", "super::a::C", "super::d", "super"]
    );
    assert_eq!(
        absolute("targets::cluster::apply", "super::super::exec::Remote").unwrap(),
        ["targets", "exec", "Remote"]
    );
    let g: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (PathBuf::from(k), v.into_iter().map(PathBuf::from).collect()))
    .collect();
    assert_eq!(
        cycles(&g),
        [vec![
            PathBuf::from("a"),
            PathBuf::from("b"),
            PathBuf::from("c")
        ]]
    );
}
