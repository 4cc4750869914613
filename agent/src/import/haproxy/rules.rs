//! `acl`, `http-request` and `http-response` lines of a proxy section (frontend or
//! backend), typed together or not at all.
//!
//! The renderer writes a section's ACLs before its rules: HAProxy resolves an ACL name
//! when it reads the rule using it, so the ACLs are typed only when every one can be,
//! and the rules only with them. Entries of one name are ORed by HAProxy; the list keeps
//! them in order, so they are typed when they come one after the other.

use super::tokens::Line;
use super::typed::with_kw;
use super::Builder;
use schema::Acl;

/// The typed ACLs and rules of a section.
pub(super) struct Rules {
    pub acls: Vec<Acl>,
    pub http_request: Vec<String>,
    pub http_response: Vec<String>,
}

impl Builder<'_> {
    /// `None` (nothing counted) when an ACL cannot be typed: all stay `extra`, in order.
    pub(super) fn rules(&mut self, lines: &[&Line]) -> Option<Rules> {
        let acls = with_kw(lines, "acl");
        let adjacent = acls.iter().enumerate().all(|(j, a)| {
            match acls[..j].iter().rposition(|b| b.word(1) == a.word(1)) {
                Some(e) => e + 1 == j,
                None => true,
            }
        });
        let named = acls.iter().all(|l| {
            l.words.len() >= 3
                && l.word(1)
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
        });
        if !adjacent || !named {
            return None;
        }
        let mut out = Rules {
            acls: Vec::new(),
            http_request: Vec::new(),
            http_response: Vec::new(),
        };
        for l in &acls {
            out.acls.push(Acl {
                name: l.word(1).to_string(),
                condition: l.rest(2),
            });
            self.typed_line(l);
        }
        for (kw, list) in [
            ("http-request", &mut out.http_request),
            ("http-response", &mut out.http_response),
        ] {
            for l in with_kw(lines, kw).into_iter().filter(|l| {
                l.words.len() >= 2
                    && l.word(1)
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_(),.".contains(c))
            }) {
                list.push(l.rest(1));
                self.typed_line(l);
            }
        }
        Some(out)
    }
}
