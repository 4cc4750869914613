//! `backend` sections: servers, stickiness, health check, server defaults.

use super::servers::{fold_default_servers, server_line, ServerLine};
use super::tokens::{Line, Section};
use super::typed::{balance, bind_ok, last_of, mode, single_parsed, with_kw};
use super::Builder;
use schema::validate::net;
use schema::{Backend, Cookie, CookieMode, HealthCheck, ServerDefaults};

impl Builder<'_> {
    pub(super) fn backend(
        &mut self,
        s: &Section,
        index: usize,
        inherited: Option<&str>,
        listen: bool,
    ) -> Result<Backend, String> {
        // `from NAME` the caller takes from the defaults plan (super::scope).
        if super::scope::header_from(s).is_err() || s.header.words.len() < 2 {
            return Err("a section header with more than a name and `from NAME`".into());
        }
        let lines: Vec<&Line> = s.lines.iter().collect();
        if lines.iter().any(|l| l.error.is_some()) {
            return Err("a line HAProxy's syntax does not allow".into());
        }
        let binds = with_kw(&lines, "bind");
        if listen
            && (binds.is_empty()
                || !binds
                    .iter()
                    .all(|l| l.words.len() >= 2 && bind_ok(l.word(1))))
        {
            return Err("a `listen` section with no bind, or one the model does not take".into());
        }
        let balances = with_kw(&lines, "balance");
        let algo = match balances.last() {
            Some(l) if l.words.len() == 2 => balance(l.word(1)),
            Some(_) => None,
            None => balance(inherited.unwrap_or("roundrobin")),
        };
        let Some(algo) = algo else {
            return Err(
                "a `balance` algorithm with arguments or one the model does not know".into(),
            );
        };
        let servers: Vec<&Line> = with_kw(&lines, "server");
        let parsed: Vec<Option<ServerLine>> = servers.iter().map(|l| server_line(l)).collect();
        if parsed.iter().any(Option::is_none) {
            return Err("a server address or option the model does not take".into());
        }
        let mut parsed: Vec<ServerLine> = parsed.into_iter().flatten().collect();
        let defaults = with_kw(&lines, "default-server");
        fold_default_servers(&defaults, &mut parsed)?;
        let mut names: Vec<&str> = parsed.iter().map(|p| p.server.name.as_str()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err("two servers with the same name".into());
        }
        let at = format!("spec.backends[{index}]");
        self.typed_line(&s.header);
        for l in &defaults {
            self.typed_line(l);
            self.comments.add(
                format!("{at}.servers"),
                format!(
                    "{}:{}: `{}` folded into the server lines after it, as HAProxy applies it",
                    self.label,
                    l.no,
                    l.text()
                ),
            );
        }
        let mut b = Backend {
            name: s.name().to_string(),
            from: None,
            binds: Vec::new(),
            maxconn: None,
            mode: None,
            balance: Some(algo),
            fullconn: None,
            log: Vec::new(),
            retries: None,
            timeouts: Default::default(),
            stats_uri: None,
            stats: Default::default(),
            cookie: None,
            health_check: None,
            http_check: Vec::new(),
            options: Vec::new(),
            acls: Vec::new(),
            http_request: Vec::new(),
            http_response: Vec::new(),
            server_defaults: ServerDefaults::default(),
            servers: Vec::new(),
            servers_from: None,
            extra: Vec::new(),
        };
        match last_of(self, &balances) {
            Some(l) => self.typed_line(l),
            None => self.comments.add(
                format!("{at}.balance"),
                match inherited {
                    Some(i) => {
                        format!("no `balance` line: inherited `{i}` from `defaults`, written out")
                    }
                    None => "no `balance` line: HAProxy's default, written out".to_string(),
                },
            ),
        }
        if listen {
            for l in &binds {
                b.binds.push(l.rest(1));
                self.typed_line(l);
            }
            b.maxconn = single_parsed(self, &lines, "maxconn");
        }
        let modes = with_kw(&lines, "mode");
        if !modes.is_empty()
            && modes
                .iter()
                .all(|l| l.words.len() == 2 && mode(l.word(1)).is_some())
        {
            let l = last_of(self, &modes).expect("not empty");
            b.mode = mode(l.word(1));
            self.typed_line(l);
        }
        b.fullconn = single_parsed(self, &lines, "fullconn");
        b.log = self.logs(&lines);
        b.retries = single_parsed(self, &lines, "retries");
        b.timeouts = self.timeouts(&lines);
        (b.stats_uri, b.stats) = self.proxy_stats(&lines);
        b.cookie = self.cookie(&lines, &parsed, &at);
        b.health_check = self.health_check(&lines);
        if b.health_check.is_some() {
            b.http_check = self.http_checks(&lines);
        }
        b.options = self.options(&lines);
        if let Some(r) = self.rules(&lines) {
            b.acls = r.acls;
            b.http_request = r.http_request;
            b.http_response = r.http_response;
        }
        self.promote_defaults(&mut b.server_defaults, &mut parsed, &at);
        for p in parsed {
            let mut srv = p.server;
            if b.cookie.is_some() {
                srv.cookie = p.cookie.filter(|c| *c != srv.name);
            } else if let Some(c) = &p.cookie {
                let raw = raw_cookie(p.line).unwrap_or_else(|| format!("cookie {c}"));
                srv.extra = Some(join_extra(srv.extra.take(), &raw));
            }
            let rest: Vec<String> = p.rest.into_iter().map(|r| r.2).collect();
            if !rest.is_empty() {
                srv.extra = Some(join_extra(srv.extra.take(), &rest.join(" ")));
            }
            if srv.extra.is_some() {
                self.comments.add(
                    format!("{at}.servers[{}].extra", b.servers.len()),
                    format!(
                        "{}:{}: server options the model does not type, as written",
                        self.label, p.line.no
                    ),
                );
            }
            self.typed_line(p.line);
            b.servers.push(srv);
        }
        for l in lines {
            if self.handled(l.no) {
                continue;
            }
            let t = self.extra_line(l, &format!("{at}.extra"), "not modelled in a backend");
            b.extra.push(t);
        }
        Ok(b)
    }

    /// `cookie NAME MODE [indirect] [nocache]`, typed only when every server names its
    /// cookie value (the renderer writes one on every server).
    fn cookie(&mut self, lines: &[&Line], servers: &[ServerLine], at: &str) -> Option<Cookie> {
        let all = with_kw(lines, "cookie");
        let l = *all.last()?;
        if all.len() != 1 || l.words.len() < 3 || servers.iter().any(|s| s.cookie.is_none()) {
            return None;
        }
        let mode = match l.word(2) {
            "insert" => CookieMode::Insert,
            "prefix" => CookieMode::Prefix,
            "rewrite" => CookieMode::Rewrite,
            _ => return None,
        };
        let mut c = Cookie {
            name: l.word(1).to_string(),
            mode,
            nocache: false,
            indirect: false,
        };
        for w in &l.texts()[3..] {
            match *w {
                "nocache" if !c.nocache => c.nocache = true,
                "indirect" if !c.indirect => c.indirect = true,
                _ => return None,
            }
        }
        self.typed_line(l);
        let _ = at;
        Some(c)
    }

    /// `option httpchk [METHOD] URI` plus at most one `http-check expect status N`.
    fn health_check(&mut self, lines: &[&Line]) -> Option<HealthCheck> {
        let all: Vec<&Line> = lines
            .iter()
            .copied()
            .filter(|l| l.word(0) == "option" && l.word(1) == "httpchk")
            .collect();
        let l = *all.last()?;
        if all.len() != 1
            || lines
                .iter()
                .any(|l| l.word(0) == "no" && l.word(2) == "httpchk")
        {
            return None;
        }
        let w = l.texts();
        let (method, path) = match &w[2..] {
            [] => ("OPTIONS", "/"),
            [uri] => ("OPTIONS", *uri),
            [m, uri] => (*m, *uri),
            _ => return None,
        };
        if !path.starts_with('/') || l.words[2..].iter().any(|x| x.text != l.raw[x.start..x.end]) {
            return None;
        }
        let mut h = HealthCheck {
            path: path.to_string(),
            method: Some(method.to_string()),
            expect_status: None,
        };
        let checks = with_kw(lines, "http-check");
        if let [c] = checks.as_slice() {
            if c.words.len() == 4 && c.word(1) == "expect" && c.word(2) == "status" {
                if let Ok(n) = c.word(3).parse::<u16>() {
                    if (100..600).contains(&n) {
                        h.expect_status = Some(n);
                        self.typed_line(c);
                    }
                }
            }
        }
        self.typed_line(l);
        Some(h)
    }

    /// Settings every server carries alike (`inter`, `rise`, `fall`, `maxconn`, and
    /// `weight`) become the backend's `serverDefaults` (the renderer writes
    /// `inter/rise/fall` only on checked servers, so those only when all are).
    fn promote_defaults(&mut self, d: &mut ServerDefaults, servers: &mut [ServerLine], at: &str) {
        let all_checked = servers.iter().all(|s| s.check);
        for kw in ["inter", "rise", "fall", "maxconn"] {
            if kw != "maxconn" && !all_checked {
                continue;
            }
            let values: Vec<Option<String>> = servers
                .iter()
                .map(|s| s.rest.iter().find(|r| r.0 == kw).and_then(|r| r.1.clone()))
                .collect();
            let Some(Some(v)) = values.first().cloned() else {
                continue;
            };
            if !values.iter().all(|x| x.as_deref() == Some(v.as_str())) {
                continue;
            }
            let ok = match kw {
                "inter" => {
                    let ok = net::is_haproxy_duration(&v);
                    if ok {
                        d.inter = Some(v.clone());
                    }
                    ok
                }
                other => match v.parse::<u32>() {
                    Ok(n) => {
                        match other {
                            "rise" => d.rise = Some(n),
                            "fall" => d.fall = Some(n),
                            _ => d.maxconn = Some(n),
                        }
                        true
                    }
                    Err(_) => false,
                },
            };
            if ok {
                for s in servers.iter_mut() {
                    s.rest.retain(|r| r.0 != kw);
                }
                self.comments.add(
                    format!("{at}.serverDefaults"),
                    format!("`{kw} {v}` was on every server line"),
                );
            }
        }
        if all_checked && !servers.is_empty() {
            d.check = Some(true);
            for s in servers.iter_mut() {
                s.server.check = None;
            }
        }
    }
}

fn join_extra(a: Option<String>, b: &str) -> String {
    match a {
        Some(a) => format!("{a} {b}"),
        None => b.to_string(),
    }
}

/// The `cookie VALUE` option of a server line, as written.
fn raw_cookie(l: &Line) -> Option<String> {
    let i = l.words.iter().skip(3).position(|w| w.text == "cookie")? + 3;
    let end = l.words.get(i + 1)?.end;
    Some(l.raw[l.words[i].start..end].to_string())
}
