//! The `listen stats` section → the typed statistics page; the `stats` lines of a
//! frontend or backend → its `statsUri` and `stats`.

use super::tokens::{Line, Section};
use super::typed::{bind_ok, last_of, with_kw};
use super::Builder;
use schema::validate::net;
use schema::{StatsAuth, StatsOptions, StatsPage};

impl Builder<'_> {
    pub(super) fn stats(
        &mut self,
        s: &Section,
        inherited_mode: Option<&str>,
    ) -> Result<StatsPage, String> {
        let lines: Vec<&Line> = s.lines.iter().collect();
        if lines.iter().any(|l| l.error.is_some()) {
            return Err("a line HAProxy's syntax does not allow".into());
        }
        let binds = with_kw(&lines, "bind");
        if binds.is_empty()
            || !binds
                .iter()
                .all(|l| l.words.len() >= 2 && bind_ok(l.word(1)))
        {
            return Err("a bind address the model does not take (or none)".into());
        }
        let modes = with_kw(&lines, "mode");
        let effective = modes
            .last()
            .map(|l| l.word(1))
            .or(inherited_mode)
            .unwrap_or("tcp");
        if effective != "http" || modes.iter().any(|l| l.words.len() != 2) {
            return Err("a stats page not in `mode http`".into());
        }
        let stat = |what: &str| -> Vec<&Line> {
            lines
                .iter()
                .copied()
                .filter(|l| l.word(0) == "stats" && l.word(1) == what)
                .collect()
        };
        self.typed_line(&s.header);
        let mut p = StatsPage {
            binds: binds.iter().map(|l| l.rest(1)).collect(),
            uri: Some("/haproxy?stats".into()),
            refresh: None,
            auth: None,
            admin_if: None,
            maxconn: super::typed::single_parsed(self, &lines, "maxconn"),
            log: self.logs(&lines),
            timeouts: self.timeouts(&lines),
            extra: Vec::new(),
        };
        for l in binds.iter().chain(&modes) {
            self.typed_line(l);
        }
        for l in stat("enable").into_iter().filter(|l| l.words.len() == 2) {
            self.typed_line(l);
        }
        let uris = stat("uri");
        if !uris.is_empty()
            && uris
                .iter()
                .all(|l| l.words.len() == 3 && l.word(2).starts_with('/'))
        {
            let l = last_of(self, &uris).expect("not empty");
            p.uri = Some(l.rest(2));
            self.typed_line(l);
        } else if uris.is_empty() {
            self.comments.add(
                "spec.stats.uri",
                "no `stats uri` line: HAProxy's default, written out".to_string(),
            );
        }
        let refresh = stat("refresh");
        if !refresh.is_empty()
            && refresh
                .iter()
                .all(|l| l.words.len() == 3 && net::is_haproxy_duration(l.word(2)))
        {
            let l = last_of(self, &refresh).expect("not empty");
            p.refresh = Some(l.word(2).to_string());
            self.typed_line(l);
        }
        if let Some(l) = stat("auth").first().filter(|l| l.words.len() == 3) {
            if let Some((user, password)) = l.word(2).split_once(':') {
                p.auth = Some(StatsAuth {
                    user: user.to_string(),
                    password: password.to_string(),
                });
                self.secrets.push("spec.stats.auth.password".into());
                self.secret_values.push(password.to_string());
                self.typed_line(l);
            }
        }
        let admin = stat("admin");
        if let [l] = admin.as_slice() {
            if l.words.len() >= 4 && l.word(2) == "if" {
                p.admin_if = Some(l.rest(3));
                self.typed_line(l);
            }
        }
        for l in lines {
            if self.handled(l.no) {
                continue;
            }
            if l.word(0) == "stats" && l.word(1) == "auth" {
                self.mark_raw_secrets(std::slice::from_ref(l));
                self.secrets.retain(|s| s != "spec.raw");
                if !self.secrets.iter().any(|s| s == "spec.stats.extra") {
                    self.secrets.push("spec.stats.extra".into());
                }
            }
            let what = format!("{} {}", l.word(0), l.word(1));
            let t = self.extra_line_named(
                l,
                "spec.stats.extra",
                "not modelled on the stats page",
                &what,
            );
            p.extra.push(t);
        }
        Ok(p)
    }
}

/// The `stats KW ...` lines of `lines`.
fn stat<'l>(lines: &[&'l Line], kw: &str) -> Vec<&'l Line> {
    lines
        .iter()
        .copied()
        .filter(|l| l.word(0) == "stats" && l.word(1) == kw)
        .collect()
}

/// Word 2 of a `stats KW WORD` line, written plainly (no quotes or escapes).
fn plain_word(l: &Line) -> bool {
    l.words.len() == 3 && l.words[2].text == l.raw[l.words[2].start..l.words[2].end]
}

impl Builder<'_> {
    /// `stats uri`, `refresh`, `realm`, `scope`, `http-request`, `show-legends`,
    /// `show-modules`, `hide-version` of a proxy, each class all or none; `stats
    /// enable` with them.
    pub(super) fn proxy_stats(&mut self, lines: &[&Line]) -> (Option<String>, StatsOptions) {
        let mut o = StatsOptions::default();
        let single = |b: &mut Self, kw: &str, ok: &dyn Fn(&Line) -> bool| {
            let all = stat(lines, kw);
            if all.is_empty() || !all.iter().all(|l| ok(l)) {
                return None;
            }
            let l = last_of(b, &all).expect("not empty");
            b.typed_line(l);
            Some(l.word(2).to_string())
        };
        let uri = single(self, "uri", &|l| {
            plain_word(l) && l.word(2).starts_with('/')
        });
        o.refresh = single(self, "refresh", &|l| {
            plain_word(l) && net::is_haproxy_duration(l.word(2))
        });
        o.realm = single(self, "realm", &plain_word);
        let scopes = stat(lines, "scope");
        if scopes.iter().all(|l| plain_word(l)) {
            for l in scopes {
                o.scopes.push(l.word(2).to_string());
                self.typed_line(l);
            }
        }
        let rules = stat(lines, "http-request");
        if rules
            .iter()
            .all(|l| l.words.len() >= 3 && ["allow", "deny", "auth"].contains(&l.word(2)))
        {
            for l in rules {
                o.http_request.push(l.rest(2));
                self.typed_line(l);
            }
        }
        for (kw, flag) in [
            ("show-legends", &mut o.show_legends),
            ("show-modules", &mut o.show_modules),
            ("hide-version", &mut o.hide_version),
        ] {
            if let [l] = stat(lines, kw).as_slice() {
                if l.words.len() == 2 {
                    *flag = true;
                    self.typed_line(l);
                }
            }
        }
        if uri.is_some() || !o.is_empty() {
            for l in stat(lines, "enable")
                .into_iter()
                .filter(|l| l.words.len() == 2)
            {
                self.typed_line(l);
            }
        }
        (uri, o)
    }
}
