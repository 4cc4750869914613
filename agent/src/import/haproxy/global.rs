//! The `global` settings beyond the runtime socket and the process owner (limits,
//! reload, paths, TLS defaults) → their typed fields; each single-valued keyword
//! typed when every line of it is well-formed, the last one winning.

use super::tokens::Line;
use super::typed::{last_of, single_parsed, with_kw};
use super::Builder;
use schema::validate::haproxy_names::{default_path_ok, ssl_options};
use schema::validate::net;
use schema::{Global, SslDefaults};

impl Builder<'_> {
    pub(super) fn global_more(&mut self, lines: &[&Line], g: &mut Global) {
        g.uid = single_parsed(self, lines, "uid");
        g.gid = single_parsed(self, lines, "gid");
        g.ulimit_n = single_parsed(self, lines, "ulimit-n");
        g.nbthread = single_parsed(self, lines, "nbthread");
        if let [l] = with_kw(lines, "localpeer").as_slice() {
            if l.words.len() == 2 && l.words[1].text == l.raw[l.words[1].start..l.words[1].end] {
                g.localpeer = Some(l.word(1).to_string());
                self.typed_line(l);
            }
        }
        g.hard_stop_after = self.single(lines, "hard-stop-after", |l| {
            (l.words.len() == 2 && net::is_haproxy_duration(l.word(1))).then(|| l.rest(1))
        });
        g.default_path = self.single(lines, "default-path", |l| {
            let v = l.texts()[1..].join(" ");
            default_path_ok(&v).then_some(v)
        });
        for (kw, slot) in [("ca-base", &mut g.ca_base), ("crt-base", &mut g.crt_base)] {
            *slot = self.single(lines, kw, |l| (l.words.len() == 2).then(|| l.rest(1)));
        }
        for (kw, slot) in [
            ("master-worker", &mut g.master_worker),
            ("strict-limits", &mut g.strict_limits),
        ] {
            *slot = self
                .single(lines, kw, |l| (l.words.len() == 1).then_some(()))
                .is_some();
        }
        for (side, slot) in [
            ("bind", &mut g.ssl_default_bind),
            ("server", &mut g.ssl_default_server),
        ] {
            let mut d = SslDefaults::default();
            let list = |l: &Line| (l.words.len() == 2 && !l.word(1).is_empty()).then(|| l.rest(1));
            d.ciphers = self.single(lines, &format!("ssl-default-{side}-ciphers"), list);
            d.ciphersuites = self.single(lines, &format!("ssl-default-{side}-ciphersuites"), list);
            d.options = self
                .single(lines, &format!("ssl-default-{side}-options"), |l| {
                    ssl_options(&l.texts()[1..]).ok()
                })
                .unwrap_or_default();
            if d != SslDefaults::default() {
                *slot = Some(d);
            }
        }
    }

    /// A single-valued keyword: typed when `parse` takes every line of it, the last winning.
    fn single<T>(
        &mut self,
        lines: &[&Line],
        kw: &str,
        parse: impl Fn(&Line) -> Option<T>,
    ) -> Option<T> {
        let all = with_kw(lines, kw);
        if all.is_empty() || all.iter().any(|l| l.error.is_some() || parse(l).is_none()) {
            return None;
        }
        let l = last_of(self, &all)?;
        self.typed_line(l);
        parse(l)
    }
}
