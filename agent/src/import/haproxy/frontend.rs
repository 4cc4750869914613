//! `frontend` sections → typed frontends: binds, ACLs and the rules naming them,
//! routing to typed backends.

use super::tokens::{Line, Section};
use super::typed::{bind_ok, last_of, mode, single_parsed, with_kw};
use super::Builder;
use schema::validate::haproxy_names::PREDEFINED_ACLS;
use schema::{Acl, Frontend, UseBackend};

impl Builder<'_> {
    pub(super) fn frontend(
        &mut self,
        s: &Section,
        index: usize,
        backends: &[String],
        done: &[Frontend],
    ) -> Result<Frontend, String> {
        // `from NAME` the caller takes from the defaults plan (super::scope).
        if super::scope::header_from(s).is_err() || s.header.words.len() < 2 {
            return Err("a frontend header with more than a name and `from NAME`".into());
        }
        if done.iter().any(|f| f.name == s.name()) {
            return Err("a second frontend with this name".into());
        }
        let lines: Vec<&Line> = s.lines.iter().collect();
        if lines.iter().any(|l| l.error.is_some()) {
            return Err("a line HAProxy's syntax does not allow".into());
        }
        let binds = with_kw(&lines, "bind");
        if !binds
            .iter()
            .all(|l| l.words.len() >= 2 && bind_ok(l.word(1)))
        {
            return Err("a bind address the model does not take".into());
        }
        let at = format!("spec.frontends[{index}]");
        let start = self.summary.typed;
        let mut f = Frontend {
            name: s.name().to_string(),
            from: None,
            binds: binds.iter().map(|l| l.rest(1)).collect(),
            mode: None,
            maxconn: None,
            log: Vec::new(),
            timeouts: Default::default(),
            options: Vec::new(),
            no_log: false,
            monitor_uri: None,
            stats_uri: None,
            stats: Default::default(),
            acls: Vec::new(),
            http_request: Vec::new(),
            http_response: Vec::new(),
            use_backends: Vec::new(),
            default_backend: None,
            extra: Vec::new(),
        };
        self.typed_line(&s.header);
        for l in &binds {
            self.typed_line(l);
        }
        let modes: Vec<&Line> = with_kw(&lines, "mode");
        if !modes.is_empty()
            && modes
                .iter()
                .all(|l| l.words.len() == 2 && mode(l.word(1)).is_some())
        {
            let l = last_of(self, &modes).expect("not empty");
            f.mode = mode(l.word(1));
            self.typed_line(l);
        }
        f.maxconn = single_parsed(self, &lines, "maxconn");
        f.log = self.logs(&lines);
        let no_log: Vec<&Line> = lines
            .iter()
            .copied()
            .filter(|l| l.word(0) == "no" && l.word(1) == "log")
            .collect();
        if let [l] = no_log.as_slice() {
            if l.words.len() == 2 && with_kw(&lines, "log").is_empty() {
                f.no_log = true;
                self.typed_line(l);
            }
        }
        if let [l] = with_kw(&lines, "monitor-uri").as_slice() {
            if l.words.len() == 2 && l.word(1).starts_with('/') && !l.word(1).contains('"') {
                f.monitor_uri = Some(l.word(1).to_string());
                self.typed_line(l);
            }
        }
        f.timeouts = self.timeouts(&lines);
        f.options = self.options(&lines);
        (f.stats_uri, f.stats) = self.proxy_stats(&lines);
        // ACLs and the rules naming them: typed together, or all kept in order as extra.
        if let Some(r) = self.rules(&lines) {
            f.acls = r.acls;
            f.http_request = r.http_request;
            f.http_response = r.http_response;
            let uses = with_kw(&lines, "use_backend");
            let typed: Vec<Option<UseBackend>> = uses
                .iter()
                .map(|l| use_backend(l, backends, &f.acls))
                .collect();
            if typed.iter().all(Option::is_some) {
                for (l, u) in uses.iter().zip(typed) {
                    f.use_backends.push(u.expect("checked"));
                    self.typed_line(l);
                }
            } else {
                self.comments.add(format!("{at}.extra"), "use_backend rules kept as written: one names a backend or ACL the model does not type".to_string());
            }
        } else {
            self.comments.add(format!("{at}.extra"), "ACLs kept as written (a name repeated away from its first lines, or one the model does not take), and the rules after them".to_string());
        }
        let defaults: Vec<&Line> = with_kw(&lines, "default_backend");
        if !defaults.is_empty()
            && defaults
                .iter()
                .all(|l| l.words.len() == 2 && backends.iter().any(|b| b == l.word(1)))
        {
            let l = last_of(self, &defaults).expect("not empty");
            f.default_backend = Some(l.word(1).to_string());
            self.typed_line(l);
        }
        for l in lines {
            if self.handled(l.no) {
                continue;
            }
            let t = self.extra_line(l, &format!("{at}.extra"), "not modelled in a frontend");
            f.extra.push(t);
        }
        let _ = start;
        Ok(f)
    }
}

/// A `use_backend NAME if COND` the model can type.
fn use_backend(l: &Line, backends: &[String], acls: &[Acl]) -> Option<UseBackend> {
    if l.words.len() < 4 || l.word(2) != "if" || !backends.iter().any(|b| b == l.word(1)) {
        return None;
    }
    let cond = l.rest(3);
    let mut depth = 0usize;
    for w in l.words[3..].iter().map(|w| w.text.as_str()) {
        match w {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "||" | "or" | "!" => {}
            _ if depth == 0 => {
                let name = w.trim_start_matches('!');
                if !name.is_empty()
                    && !acls.iter().any(|a| a.name == name)
                    && !PREDEFINED_ACLS.contains(&name)
                {
                    return None;
                }
            }
            _ => {}
        }
    }
    Some(UseBackend {
        backend: l.word(1).to_string(),
        condition: cond,
    })
}
