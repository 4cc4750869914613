//! Fitting a comment into GitHub's limit: a PR comment body may hold at most
//! 65,536 characters. Blocks are added in order while they fit; the first one that
//! does not ends the comment with a visible truncation line saying how much is left.

/// GitHub's limit on an issue or PR comment body, in characters.
pub const GITHUB_LIMIT: usize = 65_536;

/// Room kept for the truncation line.
const RESERVE: usize = 600;

/// What a comment is made of: blocks that must be there (the title, the summary),
/// then blocks that may be dropped from the end, each with the kind it counts as.
pub struct Budget {
    limit: usize,
    out: String,
    used: usize,
    dropped: Vec<&'static str>,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            out: String::new(),
            used: 0,
            dropped: Vec::new(),
        }
    }

    /// Adds `block` when it fits (and nothing was dropped before it, so the comment
    /// is a prefix of the full one); else counts it as a dropped `kind`.
    pub fn push(&mut self, kind: &'static str, block: &str) {
        let n = block.chars().count();
        if self.dropped.is_empty() && self.used + n + RESERVE <= self.limit {
            self.out.push_str(block);
            self.used += n;
        } else {
            self.dropped.push(kind);
        }
    }

    /// The comment, with the truncation line when anything was dropped; `hint` says
    /// where the whole preview is (a command line).
    pub fn finish(mut self, hint: &str) -> String {
        if self.dropped.is_empty() {
            return self.out;
        }
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for k in &self.dropped {
            match counts.iter_mut().find(|(x, _)| x == k) {
                Some(c) => c.1 += 1,
                None => counts.push((k, 1)),
            }
        }
        let what: Vec<String> = counts.iter().map(|(k, n)| format!("{n} × {k}")).collect();
        let line = format!(
            "\n---\n**✂️ Truncated** (GitHub limits a comment to 65,536 characters), not shown here: {}. {hint}\n",
            what.join(", ")
        );
        // The reserve holds the line; a huge hint is cut rather than break the limit.
        let room = self.limit.saturating_sub(self.used);
        self.out.extend(line.chars().take(room));
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_first_block_that_does_not_fit() {
        let mut b = Budget::new(1000);
        b.push("head", "title\n");
        b.push("section", &"x".repeat(300));
        b.push("section", &"y".repeat(300));
        b.push("section", "z");
        let s = b.finish("run agent diff");
        assert!(s.chars().count() <= 1000);
        assert!(s.contains(&"x".repeat(300)) && !s.contains('y') && !s.contains('z'));
        assert!(s.contains("**✂️ Truncated** (GitHub limits a comment to 65,536 characters), not shown here: 2 × section."), "{s}");
    }
}
