//! The one place where text becomes HTML. [`Html`] only accepts markup as `&'static str`
//! (written in this crate, never data) and everything else through [`Html::text`], which
//! masks it with the cycle's [`Masker`] and then escapes it: no value reaches the page
//! without passing both, so a secret or a `<script>` in a diff shows as text, masked.

use crate::mask::Masker;
use std::fmt::Display;

pub struct Html<'m> {
    out: String,
    masker: &'m Masker,
}

/// `&`, `<`, `>`, `"`, `'` → entities (safe in element content and quoted attributes).
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

impl<'m> Html<'m> {
    pub fn new(masker: &'m Masker) -> Self {
        Html {
            out: String::with_capacity(64 * 1024),
            masker,
        }
    }

    /// Markup written in the source (tags, classes, static words).
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// Any value: masked, then escaped.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.out.push_str(&escape(&self.masker.mask(s)));
        self
    }

    /// A number (nothing to mask or escape).
    pub fn num(&mut self, n: impl Display + Copy + Into<i128>) -> &mut Self {
        self.out.push_str(&n.to_string());
        self
    }

    /// `<tag class="class">text</tag>`.
    pub fn el(&mut self, tag: &'static str, class: &'static str, text: &str) -> &mut Self {
        self.open(tag, class).text(text).close(tag)
    }

    pub fn open(&mut self, tag: &'static str, class: &'static str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        if !class.is_empty() {
            self.out.push_str(" class=\"");
            self.out.push_str(class);
            self.out.push('"');
        }
        self.out.push('>');
        self
    }

    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// A unified diff, one line per span (a block: no newline between them), classed by
    /// its first character.
    pub fn diff(&mut self, diff: &str) -> &mut Self {
        self.raw("<pre class=\"diff\">");
        for line in diff.trim_end().lines() {
            let class = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => "<span class=\"add\">",
                Some(b'-') if !line.starts_with("---") => "<span class=\"del\">",
                Some(b'@') => "<span class=\"hunk\">",
                _ => "<span>",
            };
            self.raw(class).text(line).raw("</span>");
        }
        self.raw("</pre>")
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_masked_then_escaped_and_markup_stays() {
        let mut m = Masker::new("k");
        m.add_secret("s3cret-value");
        let mut h = Html::new(&m);
        h.el("td", "x", "<script>alert('s3cret-value')</script> & \"q\"");
        h.diff("--- a\n+++ b\n@@ -1 +1 @@\n-stats auth admin:old-pw\n+new <b>\n");
        let out = h.finish();
        assert!(
            out.starts_with("<td class=\"x\">&lt;script&gt;alert(&#39;***"),
            "{out}"
        );
        assert!(
            !out.contains("s3cret-value") && !out.contains("old-pw"),
            "{out}"
        );
        assert!(out.contains("&amp; &quot;q&quot;</td>"));
        assert!(
            out.contains("<span class=\"del\">-stats auth admin:***"),
            "{out}"
        );
        assert!(out.contains("<span class=\"add\">+new &lt;b&gt;</span>"));
        assert!(out.contains("<span>--- a</span>") && out.contains("<span class=\"hunk\">@@"));
    }
}
