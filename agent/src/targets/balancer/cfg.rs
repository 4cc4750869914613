//! Reading HAProxy's own texts: a `haproxy.cfg` split into sections and server
//! lines (for [`classify`](super::haproxy_runtime::classify) and the runtime
//! check), and the runtime API's `show servers state` table. Pure functions.

/// One section: its header line, its `server` lines, every other non-comment line (trimmed).
#[derive(Debug, Clone)]
pub struct Section {
    pub header: String,
    pub servers: Vec<ServerLine>,
    pub other: Vec<String>,
}

impl Section {
    /// The `balance` algorithm's name, when the section sets one.
    pub fn balance(&self) -> Option<&str> {
        self.other
            .iter()
            .find_map(|l| l.strip_prefix("balance "))
            .and_then(|a| a.split_whitespace().next())
    }
}

/// `server NAME ADDR [args]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    pub name: String,
    pub addr: String,
    pub args: Vec<String>,
}

impl ServerLine {
    pub fn disabled(&self) -> bool {
        self.args.iter().any(|a| a == "disabled")
    }
    /// The `weight` argument (HAProxy's default 1).
    pub fn weight(&self) -> Result<u32, String> {
        match self.args.iter().position(|a| a == "weight") {
            None => Ok(1),
            Some(i) => self
                .args
                .get(i + 1)
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| format!("server {}: unreadable weight", self.name)),
        }
    }
    /// Everything but weight and state: must not differ for a runtime change.
    pub fn fixed_args(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "weight" => {
                    it.next();
                }
                "disabled" | "enabled" => {}
                _ => out.push(a.as_str()),
            }
        }
        out
    }
}

/// Splits a configuration into sections (a line at column 0 opens one).
pub fn parse(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for raw in text.lines() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if !raw.starts_with(char::is_whitespace) || sections.is_empty() {
            sections.push(Section {
                header: t.to_string(),
                servers: vec![],
                other: vec![],
            });
            continue;
        }
        let s = sections.last_mut().expect("a section is open");
        let words: Vec<&str> = t.split_whitespace().collect();
        match words.as_slice() {
            ["server", name, addr, args @ ..] => s.servers.push(ServerLine {
                name: name.to_string(),
                addr: addr.to_string(),
                args: args.iter().map(|a| a.to_string()).collect(),
            }),
            _ => s.other.push(t.to_string()),
        }
    }
    sections
}

/// One server as `show servers state` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeServer {
    pub backend: String,
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub admin_state: u32,
    pub weight: u32,
}

impl RuntimeServer {
    /// Forced, inherited or resolver maintenance (SRV_ADMF_FMAINT|IMAINT|RMAINT). The
    /// config-disabled bit alone (0x04) stays set after `state ready`.
    pub fn in_maintenance(&self) -> bool {
        self.admin_state & 0x23 != 0
    }
    pub fn draining(&self) -> bool {
        self.admin_state & 0x18 != 0
    }
    /// Put in maintenance by hand or by `disabled` (SRV_ADMF_FMAINT), as opposed to
    /// inherited from a tracked server or a failed DNS resolution.
    pub fn forced_maintenance(&self) -> bool {
        self.admin_state & 0x01 != 0
    }
    /// Set to drain by hand (SRV_ADMF_FDRAIN).
    pub fn forced_drain(&self) -> bool {
        self.admin_state & 0x08 != 0
    }
}

/// Parses `show servers state` (format version 1): columns by the header's names.
pub fn parse_state(text: &str) -> Result<Vec<RuntimeServer>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match lines.next() {
        Some("1") => {}
        other => return Err(format!("unknown `show servers state` format: {other:?}")),
    }
    let header: Vec<&str> = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or("no header in `show servers state`")?
        .split_whitespace()
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no column {name}"))
    };
    let (be, srv, addr, admin, weight, port) = (
        col("be_name")?,
        col("srv_name")?,
        col("srv_addr")?,
        col("srv_admin_state")?,
        col("srv_uweight")?,
        col("srv_port")?,
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let get = |i: usize| f.get(i).copied().ok_or(format!("short line: {l}"));
            let num = |i: usize| -> Result<u32, String> {
                get(i)?.parse().map_err(|_| format!("bad number in: {l}"))
            };
            Ok(RuntimeServer {
                backend: get(be)?.to_string(),
                name: get(srv)?.to_string(),
                addr: get(addr)?.to_string(),
                port: get(port)?
                    .parse()
                    .map_err(|_| format!("bad port in: {l}"))?,
                admin_state: num(admin)?,
                weight: num(weight)?,
            })
        })
        .collect()
}
