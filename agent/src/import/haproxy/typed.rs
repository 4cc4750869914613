//! The `global` and `defaults` sections → their typed fields, and helpers the other sections share.

use super::tokens::{Line, Section};
use super::Builder;
use schema::validate::haproxy_names::{HTTP_CHECK, TIMEOUTS};
use schema::validate::net;
use schema::{Balance, Defaults, Global, Mode, SocketLevel, StatsSocket};

pub(super) fn mode(s: &str) -> Option<Mode> {
    match s {
        "http" => Some(Mode::Http),
        "tcp" => Some(Mode::Tcp),
        _ => None,
    }
}

/// A `balance` algorithm the model knows.
pub(super) fn balance(s: &str) -> Option<Balance> {
    Some(match s {
        "roundrobin" => Balance::Roundrobin,
        "leastconn" => Balance::Leastconn,
        "source" => Balance::Source,
        "static-rr" => Balance::StaticRr,
        "first" => Balance::First,
        "random" => Balance::Random,
        "uri" => Balance::Uri,
        _ => return None,
    })
}

/// For single-valued keys: the line that wins (the last), the others superseded.
pub(super) fn last_of<'l>(b: &mut Builder<'_>, lines: &[&'l Line]) -> Option<&'l Line> {
    let last = *lines.last()?;
    for l in &lines[..lines.len() - 1] {
        b.superseded(l, last.no);
    }
    Some(last)
}

/// Lines of `s` whose first word is `kw`.
pub(super) fn with_kw<'l>(s: &[&'l Line], kw: &str) -> Vec<&'l Line> {
    s.iter().copied().filter(|l| l.word(0) == kw).collect()
}

impl Builder<'_> {
    pub(super) fn global(&mut self, sections: &[&Section]) -> Global {
        let lines: Vec<&Line> = sections.iter().flat_map(|s| &s.lines).collect();
        for s in sections {
            self.typed_line(&s.header);
        }
        let mut g = Global {
            daemon: Some(false),
            ..Default::default()
        };
        g.chroot = single_word(self, &lines, "chroot");
        g.pidfile = single_word(self, &lines, "pidfile");
        g.user = single_word(self, &lines, "user");
        g.group = single_word(self, &lines, "group");
        g.maxconn = single_parsed(self, &lines, "maxconn");
        let daemons = with_kw(&lines, "daemon");
        if !daemons.is_empty() && daemons.iter().all(|l| l.words.len() == 1) {
            let l = last_of(self, &daemons).expect("not empty");
            self.typed_line(l);
            g.daemon = None;
        }
        let timeouts: Vec<&Line> = lines
            .iter()
            .copied()
            .filter(|l| l.word(0) == "stats" && l.word(1) == "timeout")
            .collect();
        if !timeouts.is_empty()
            && timeouts
                .iter()
                .all(|l| l.words.len() == 3 && net::is_haproxy_duration(l.word(2)))
        {
            let l = last_of(self, &timeouts).expect("not empty");
            self.typed_line(l);
            g.stats_timeout = Some(l.rest(2));
        }
        for l in &lines {
            if self.handled(l.no) || l.error.is_some() {
                continue;
            }
            if l.word(0) == "log" && l.words.len() >= 2 {
                g.log.push(l.rest(1));
                self.typed_line(l);
            } else if l.word(0) == "stats" && l.word(1) == "socket" && g.stats_socket.is_none() {
                if let Some(s) = stats_socket(l) {
                    g.stats_socket = Some(s);
                    self.typed_line(l);
                }
            }
        }
        self.global_more(&lines, &mut g);
        for l in lines {
            if self.handled(l.no) {
                continue;
            }
            let t = self.extra_line(l, "spec.global.extra", "not modelled in `global`");
            g.extra.push(t);
        }
        g
    }

    /// A `defaults` section whose header [`super::scope::plan`] accepted; `at` is its path.
    pub(super) fn defaults(&mut self, s: &Section, at: &str) -> Defaults {
        self.typed_line(&s.header);
        let lines: Vec<&Line> = s.lines.iter().collect();
        let mut d = Defaults {
            name: super::scope::defaults_name(s).map(String::from),
            from: super::scope::header_from(s)
                .ok()
                .flatten()
                .map(String::from),
            ..Defaults::default()
        };
        let modes: Vec<&Line> = with_kw(&lines, "mode")
            .into_iter()
            .filter(|l| l.words.len() == 2 && mode(l.word(1)).is_some())
            .collect();
        if modes.len() == with_kw(&lines, "mode").len() {
            if let Some(l) = last_of(self, &modes) {
                d.mode = mode(l.word(1));
                self.typed_line(l);
            }
        }
        let logs = with_kw(&lines, "log");
        if logs.len() == 1 && logs[0].words.len() >= 2 {
            d.log = Some(logs[0].rest(1));
            self.typed_line(logs[0]);
        }
        d.retries = single_parsed(self, &lines, "retries");
        let balances = with_kw(&lines, "balance");
        if balances
            .iter()
            .all(|l| l.words.len() == 2 && balance(l.word(1)).is_some())
        {
            if let Some(l) = last_of(self, &balances) {
                d.balance = balance(l.word(1));
                self.typed_line(l);
            }
        }
        d.maxconn = single_parsed(self, &lines, "maxconn");
        d.timeouts = self.timeouts(&lines);
        let mut codes: Vec<&str> = lines
            .iter()
            .filter(|l| l.word(0) == "errorfile")
            .map(|l| l.word(1))
            .collect();
        codes.sort();
        codes.dedup();
        for code in codes {
            let all: Vec<&Line> = lines
                .iter()
                .copied()
                .filter(|l| l.word(0) == "errorfile" && l.word(1) == code)
                .collect();
            let ok = all.iter().all(|l| {
                l.words.len() == 3 && l.error.is_none() && l.word(1).parse::<u16>().is_ok()
            });
            if ok {
                let l = last_of(self, &all).expect("not empty");
                d.errorfiles
                    .insert(l.word(1).parse().expect("checked"), l.rest(2));
                self.typed_line(l);
            }
        }
        d.options = self.options(&lines);
        let checks: Vec<&Line> = lines
            .iter()
            .copied()
            .filter(|l| l.word(0) == "option" && l.word(1) == "httpchk")
            .collect();
        let negated = lines
            .iter()
            .any(|l| l.word(0) == "no" && l.word(2) == "httpchk");
        if !negated && checks.iter().all(|l| l.error.is_none()) {
            if let Some(l) = last_of(self, &checks) {
                d.options.push(l.rest(1));
                self.typed_line(l);
            }
            d.http_check = self.http_checks(&lines);
        }
        for l in lines {
            if self.handled(l.no) {
                continue;
            }
            let t = self.extra_line(l, &format!("{at}.extra"), "not modelled in `defaults`");
            d.extra.push(t);
        }
        d
    }

    /// `timeout NAME VALUE` lines the model knows, per name all or none, the last one winning.
    pub(super) fn timeouts(
        &mut self,
        lines: &[&Line],
    ) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for name in TIMEOUTS {
            let all: Vec<&Line> = lines
                .iter()
                .copied()
                .filter(|l| l.word(0) == "timeout" && l.word(1) == *name)
                .collect();
            let ok: Vec<&Line> = all
                .iter()
                .copied()
                .filter(|l| l.words.len() == 3 && net::is_haproxy_duration(l.word(2)))
                .collect();
            if !all.is_empty() && ok.len() == all.len() {
                let l = last_of(self, &ok).expect("not empty");
                out.insert(name.to_string(), l.word(2).to_string());
                self.typed_line(l);
            }
        }
        out
    }

    /// Every `log` line (in order), when all of them are readable.
    pub(super) fn logs(&mut self, lines: &[&Line]) -> Vec<String> {
        let all = with_kw(lines, "log");
        self.all_or_none(&all, |l| l.words.len() >= 2 && l.error.is_none())
    }

    /// The arguments of every line of `all` (each counted as typed) when `ok` holds
    /// for each of them; else none (they stay for the escape hatch, in their order).
    fn all_or_none(&mut self, all: &[&Line], ok: impl Fn(&Line) -> bool) -> Vec<String> {
        if !all.iter().all(|l| ok(l)) {
            return Vec::new();
        }
        all.iter()
            .map(|l| {
                self.typed_line(l);
                l.rest(1)
            })
            .collect()
    }

    /// `option X` lines, except classes that also have a `no option X` (order matters
    /// there) and `option httpchk` (a backend's health check).
    pub(super) fn options(&mut self, lines: &[&Line]) -> Vec<String> {
        let negated: Vec<&str> = lines
            .iter()
            .filter(|l| l.word(0) == "no" && l.word(1) == "option")
            .map(|l| l.word(2))
            .collect();
        let mut out = Vec::new();
        for l in lines
            .iter()
            .filter(|l| l.word(0) == "option" && l.words.len() >= 2 && l.error.is_none())
        {
            if negated.contains(&l.word(1)) || l.word(1) == "httpchk" {
                continue;
            }
            out.push(l.rest(1));
            self.typed_line(l);
        }
        out
    }

    /// Every `http-check` line not counted yet, in order, when each starts with a known rule.
    pub(super) fn http_checks(&mut self, lines: &[&Line]) -> Vec<String> {
        let all: Vec<&Line> = with_kw(lines, "http-check")
            .into_iter()
            .filter(|l| !self.handled(l.no))
            .collect();
        self.all_or_none(&all, |l| {
            l.words.len() >= 2 && l.error.is_none() && HTTP_CHECK.contains(&l.word(1))
        })
    }

    /// Whether line `no` was already counted (typed, superseded...).
    /// A line kept verbatim in the `extra` list at `path`: counted raw with `why`, and
    /// a comment there naming its source line and keyword.
    pub(crate) fn extra_line(&mut self, l: &Line, path: &str, why: &str) -> String {
        self.extra_line_named(l, path, why, l.word(0))
    }

    /// [`Builder::extra_line`] with the comment naming `what`.
    pub(crate) fn extra_line_named(
        &mut self,
        l: &Line,
        path: &str,
        why: &str,
        what: &str,
    ) -> String {
        self.summary
            .count(l.no, crate::import::summary::Fate::Raw, l.text(), why);
        let comment = format!("{}:{}: {what}", self.label, l.no);
        self.comments.add(path.to_string(), comment);
        l.text()
    }

    pub(super) fn handled(&self, no: usize) -> bool {
        self.summary.typed_seen(no) || self.summary.items.iter().any(|i| i.line == no)
    }
}

/// The validator's bind check: `ADDRESS:PORT` (port ranges allowed), a path, or `proto@…`.
pub(super) fn bind_ok(addr: &str) -> bool {
    if addr.starts_with('/') || addr.contains('@') {
        return true;
    }
    addr.rsplit_once(':').is_some_and(|(host, port)| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port_ok = port
            .split('-')
            .all(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        port_ok && (host.is_empty() || host == "*" || net::is_address(host))
    })
}

/// A single-valued one-word key (`chroot /var/lib/haproxy`), the last one winning.
pub(super) fn single_word(b: &mut Builder<'_>, lines: &[&Line], kw: &str) -> Option<String> {
    let all = with_kw(lines, kw);
    if all.is_empty() || !all.iter().all(|l| l.words.len() == 2 && l.error.is_none()) {
        return None;
    }
    let l = last_of(b, &all)?;
    b.typed_line(l);
    Some(l.rest(1))
}

/// A single-valued numeric key (`maxconn 100`), the last one winning.
pub(super) fn single_parsed(b: &mut Builder<'_>, lines: &[&Line], kw: &str) -> Option<u32> {
    let all = with_kw(lines, kw);
    let ok: Vec<&Line> = all
        .iter()
        .copied()
        .filter(|l| l.words.len() == 2 && l.word(1).parse::<u32>().is_ok())
        .collect();
    if all.is_empty() || ok.len() != all.len() {
        return None;
    }
    let l = last_of(b, &ok)?;
    b.typed_line(l);
    l.word(1).parse().ok()
}

/// `stats socket PATH [mode M] [level L] [expose-fd listeners]`, nothing else.
fn stats_socket(l: &Line) -> Option<StatsSocket> {
    let w = l.texts();
    let mut s = StatsSocket {
        path: w.get(2)?.to_string(),
        mode: None,
        level: None,
        user: None,
        group: None,
        expose_fd_listeners: false,
    };
    let mut i = 3;
    while i < w.len() {
        match (w[i], w.get(i + 1)) {
            ("mode", Some(m)) if s.mode.is_none() => s.mode = Some(m.to_string()),
            ("level", Some(&"admin")) if s.level.is_none() => s.level = Some(SocketLevel::Admin),
            ("level", Some(&"operator")) if s.level.is_none() => {
                s.level = Some(SocketLevel::Operator)
            }
            ("level", Some(&"user")) if s.level.is_none() => s.level = Some(SocketLevel::User),
            ("user", Some(u)) if s.user.is_none() => s.user = Some(u.to_string()),
            ("group", Some(g)) if s.group.is_none() => s.group = Some(g.to_string()),
            ("expose-fd", Some(&"listeners")) if !s.expose_fd_listeners => {
                s.expose_fd_listeners = true
            }
            _ => return None,
        }
        i += 2;
    }
    // The renderer writes the path as one word: it must not need quoting.
    (l.words[2].text == l.raw[l.words[2].start..l.words[2].end]).then_some(s)
}
