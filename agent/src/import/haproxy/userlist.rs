//! `userlist`, `cache`, `peers` and `fcgi-app` sections → typed [`Userlist`]s,
//! [`Cache`]s, [`Peers`] (its `peer NAME ADDRESS:PORT` lines) and [`FcgiApp`]s
//! (`docroot`, `index`, `log-stderr`); the other lines of the last two kept as `extra`. Userlists: `group` lines first, then `user` lines
//! (the renderer's order), every name and password one plain word. The passwords
//! (hashes or clear text) are secrets: encrypted by the writer like the stats password.

use super::tokens::{Line, Section};
use super::Builder;
use schema::{Cache, FcgiApp, Peer, Peers, User, UserGroup, Userlist};

fn word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c))
}

fn list(s: &str) -> Option<Vec<String>> {
    let v: Vec<String> = s.split(',').map(str::to_string).collect();
    v.iter().all(|x| word(x)).then_some(v)
}

impl Builder<'_> {
    pub(super) fn userlist(&mut self, s: &Section, index: usize) -> Result<Userlist, String> {
        let why = "a line the userlist model does not take (groups first, then users)";
        if s.header.words.len() != 2 || !word(s.name()) {
            return Err("a userlist header with more than a name".into());
        }
        let mut u = Userlist {
            name: s.name().to_string(),
            groups: Vec::new(),
            users: Vec::new(),
        };
        let plain =
            |l: &Line| l.error.is_none() && l.words.iter().all(|w| w.text == l.raw[w.start..w.end]);
        for l in &s.lines {
            let w = l.texts();
            if !plain(l) {
                return Err(why.into());
            }
            match w.as_slice() {
                ["group", name, rest @ ..] if u.users.is_empty() && word(name) => {
                    let users = match rest {
                        [] => Vec::new(),
                        ["users", m] => list(m).ok_or(why)?,
                        _ => return Err(why.into()),
                    };
                    u.groups.push(UserGroup {
                        name: name.to_string(),
                        users,
                    });
                }
                ["user", name, kw @ ("password" | "insecure-password"), pw, rest @ ..]
                    if word(name) =>
                {
                    let groups = match rest {
                        [] => Vec::new(),
                        ["groups", g] => list(g).ok_or(why)?,
                        _ => return Err(why.into()),
                    };
                    u.users.push(User {
                        name: name.to_string(),
                        password: pw.to_string(),
                        insecure: *kw == "insecure-password",
                        groups,
                    });
                }
                _ => return Err(why.into()),
            }
        }
        let users: Vec<&str> = u.users.iter().map(|x| x.name.as_str()).collect();
        let groups: Vec<&str> = u.groups.iter().map(|g| g.name.as_str()).collect();
        let refs_ok = u
            .groups
            .iter()
            .all(|g| g.users.iter().all(|m| users.contains(&m.as_str())))
            && u.users
                .iter()
                .all(|x| x.groups.iter().all(|g| groups.contains(&g.as_str())));
        if !refs_ok {
            return Err("a group or user reference to a name the userlist does not declare".into());
        }
        self.typed_line(&s.header);
        for l in &s.lines {
            self.typed_line(l);
        }
        for (j, x) in u.users.iter().enumerate() {
            self.secrets
                .push(format!("spec.userlists[{index}].users[{j}].password"));
            self.secret_values.push(x.password.clone());
        }
        Ok(u)
    }
}

impl Builder<'_> {
    /// `cache NAME` with `total-max-size`, and optionally `max-object-size`, `max-age`,
    /// `process-vary on|off`, each once.
    pub(super) fn cache(&mut self, s: &Section) -> Result<Cache, String> {
        let why = "a cache setting the model does not take";
        if s.header.words.len() != 2 || !word(s.name()) {
            return Err("a cache header with more than a name".into());
        }
        let mut c = Cache {
            name: s.name().to_string(),
            total_max_size: 0,
            max_object_size: None,
            max_age: None,
            process_vary: None,
        };
        let mut total = None;
        for l in &s.lines {
            let w = l.texts();
            let n = || w.get(1).and_then(|v| v.parse::<u32>().ok());
            let done = match (w.as_slice(), l.error.is_none()) {
                (["total-max-size", _], true) if total.is_none() => {
                    total.replace(n().ok_or(why)?).is_none()
                }
                (["max-object-size", _], true) if c.max_object_size.is_none() => {
                    c.max_object_size.replace(n().ok_or(why)?).is_none()
                }
                (["max-age", _], true) if c.max_age.is_none() => {
                    c.max_age.replace(n().ok_or(why)?).is_none()
                }
                (["process-vary", v @ ("on" | "off")], true) if c.process_vary.is_none() => {
                    c.process_vary.replace(*v == "on").is_none()
                }
                _ => false,
            };
            if !done {
                return Err(why.into());
            }
        }
        c.total_max_size = total.filter(|t| (1..=4095).contains(t)).ok_or(why)?;
        if c.max_object_size
            .is_some_and(|m| u64::from(m) > u64::from(c.total_max_size) * 512 * 1024)
        {
            return Err(why.into());
        }
        self.typed_line(&s.header);
        for l in &s.lines {
            self.typed_line(l);
        }
        Ok(c)
    }
}

impl Builder<'_> {
    pub(super) fn peers(
        &mut self,
        s: &Section,
        index: usize,
        done: &[Peers],
    ) -> Result<Peers, String> {
        if s.header.words.len() != 2 || !word(s.name()) || done.iter().any(|p| p.name == s.name()) {
            return Err("a peers header with more than a name, or a second of this name".into());
        }
        if s.lines.iter().any(|l| l.error.is_some()) {
            return Err("a line HAProxy's syntax does not allow".into());
        }
        let mut p = Peers {
            name: s.name().to_string(),
            peers: Vec::new(),
            extra: Vec::new(),
        };
        self.typed_line(&s.header);
        let at = format!("spec.peers[{index}].extra");
        for l in &s.lines {
            let plain = l.words.iter().all(|w| w.text == l.raw[w.start..w.end]);
            match l.texts().as_slice() {
                ["peer", name, addr]
                    if plain
                        && word(name)
                        && schema::validate::net::is_peer_address(addr)
                        && !p.peers.iter().any(|x| x.name == *name) =>
                {
                    p.peers.push(Peer {
                        name: name.to_string(),
                        address: addr.to_string(),
                    });
                    self.typed_line(l);
                }
                _ => {
                    let t = self.extra_line(l, &at, "not modelled in `peers`");
                    p.extra.push(t);
                }
            }
        }
        Ok(p)
    }
}

impl Builder<'_> {
    /// `fcgi-app NAME` with one plain `docroot /PATH`.
    pub(super) fn fcgi_app(
        &mut self,
        s: &Section,
        index: usize,
        done: &[FcgiApp],
    ) -> Result<FcgiApp, String> {
        if s.header.words.len() != 2 || !word(s.name()) || done.iter().any(|a| a.name == s.name()) {
            return Err("a fcgi-app header with more than a name, or a second of this name".into());
        }
        let plain =
            |l: &Line| l.error.is_none() && l.words.iter().all(|w| w.text == l.raw[w.start..w.end]);
        let one = |kw: &str| -> Result<Option<&Line>, String> {
            let all: Vec<&Line> = s.lines.iter().filter(|l| l.word(0) == kw).collect();
            match all.as_slice() {
                [] => Ok(None),
                [l] if l.words.len() == 2 && plain(l) => Ok(Some(*l)),
                _ => Err(format!(
                    "a `{kw}` line the model does not take (one, one plain word)"
                )),
            }
        };
        let docroot = one("docroot")?.filter(|l| l.word(1).starts_with('/'));
        let docroot = docroot.ok_or("no `docroot /PATH` line")?;
        let index_line = one("index")?;
        let mut a = FcgiApp {
            name: s.name().to_string(),
            docroot: docroot.word(1).to_string(),
            index: index_line.map(|l| l.word(1).to_string()),
            log_stderr: Vec::new(),
            extra: Vec::new(),
        };
        self.typed_line(&s.header);
        self.typed_line(docroot);
        if let Some(l) = index_line {
            self.typed_line(l);
        }
        let logs: Vec<&Line> = s
            .lines
            .iter()
            .filter(|l| l.word(0) == "log-stderr")
            .collect();
        if logs.iter().all(|l| l.words.len() >= 2 && l.error.is_none()) {
            for l in logs {
                a.log_stderr.push(l.rest(1));
                self.typed_line(l);
            }
        }
        let at = format!("spec.fcgiApps[{index}].extra");
        for l in &s.lines {
            if self.handled(l.no) {
                continue;
            }
            let t = self.extra_line(l, &at, "not modelled in `fcgi-app`");
            a.extra.push(t);
        }
        Ok(a)
    }
}
