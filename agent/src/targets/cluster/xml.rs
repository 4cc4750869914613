//! A small owned XML element tree for CIB documents.
//!
//! `roxmltree` parses (it is read-only, strict and dependency-free); this tree
//! is what the cluster target edits and writes back. Comments, processing
//! instructions and whitespace-only text are dropped: the CIB has no mixed
//! content, and Pacemaker itself rewrites the document on every change.

use std::fmt::Write as _;

/// One element with its attributes (in document order) and child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elem {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Elem>,
    /// Non-whitespace text directly inside the element (rare in a CIB).
    pub text: Option<String>,
}

impl Elem {
    pub fn new(name: &str) -> Elem {
        Elem {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
        }
    }

    /// Parses a whole document and returns its root element.
    pub fn parse(text: &str) -> Result<Elem, String> {
        let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
        Ok(Self::from_node(doc.root_element()))
    }

    fn from_node(node: roxmltree::Node) -> Elem {
        let mut e = Elem::new(node.tag_name().name());
        e.attrs = node
            .attributes()
            .map(|a| (a.name().to_string(), a.value().to_string()))
            .collect();
        for child in node.children() {
            if child.is_element() {
                e.children.push(Self::from_node(child));
            } else if child.is_text() {
                let t = child.text().unwrap_or("").trim();
                if !t.is_empty() {
                    e.text = Some(t.to_string());
                }
            }
        }
        e
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// Sets (or adds, at the end) an attribute.
    pub fn set_attr(&mut self, name: &str, value: &str) {
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value.to_string(),
            None => self.attrs.push((name.to_string(), value.to_string())),
        }
    }

    pub fn child(&self, name: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Elem> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// The child named `name`, created (appended) when missing.
    pub fn child_or_insert(&mut self, name: &str) -> &mut Elem {
        if let Some(i) = self.children.iter().position(|c| c.name == name) {
            return &mut self.children[i];
        }
        self.children.push(Elem::new(name));
        self.children.last_mut().expect("just pushed")
    }

    /// Children named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of child names (`configuration/resources`).
    pub fn path(&self, path: &str) -> Option<&Elem> {
        path.split('/').try_fold(self, |e, name| e.child(name))
    }

    pub fn path_mut(&mut self, path: &str) -> Option<&mut Elem> {
        path.split('/').try_fold(self, |e, name| e.child_mut(name))
    }

    /// Pretty-printed XML (2-space indent, attributes in stored order), ending in a newline.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        let _ = write!(out, "{pad}<{}", self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", escape(v, true));
        }
        match (&self.text, self.children.is_empty()) {
            (None, true) => out.push_str("/>\n"),
            (Some(t), true) => {
                let _ = writeln!(out, ">{}</{}>", escape(t, false), self.name);
            }
            (text, false) => {
                out.push_str(">\n");
                if let Some(t) = text {
                    let _ = writeln!(out, "{pad}  {}", escape(t, false));
                }
                for c in &self.children {
                    c.write(out, depth + 1);
                }
                let _ = writeln!(out, "{pad}</{}>", self.name);
            }
        }
    }
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_attributes_and_escapes() {
        let src = r#"<a x="1 &amp; &quot;2&quot;"><!-- c --><b id="q&lt;"/>
            <c>t &gt; u</c></a>"#;
        let e = Elem::parse(src).unwrap();
        assert_eq!(e.attr("x"), Some("1 & \"2\""));
        assert_eq!(e.path("c").unwrap().text.as_deref(), Some("t > u"));
        let again = Elem::parse(&e.to_xml()).unwrap();
        assert_eq!(again, e);
        assert_eq!(
            e.to_xml(),
            "<a x=\"1 &amp; &quot;2&quot;\">\n  <b id=\"q&lt;\"/>\n  <c>t &gt; u</c>\n</a>\n"
        );
    }

    #[test]
    fn child_or_insert_creates_once() {
        let mut e = Elem::new("configuration");
        e.child_or_insert("constraints").set_attr("k", "v");
        e.child_or_insert("constraints");
        assert_eq!(e.children.len(), 1);
        assert_eq!(e.path("constraints").unwrap().attr("k"), Some("v"));
    }
}
