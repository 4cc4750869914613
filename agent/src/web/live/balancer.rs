//! HAProxy as it runs: `show stat` on each balancer's runtime socket (the same socket
//! and the same "is HAProxy running here" test as the post-reload health check in
//! [`crate::targets::health`]), one round trip per balancer host. What HAProxy's own
//! stats page shows — frontends, backends, servers with status (UP/DOWN/MAINT),
//! current and total sessions, last check — in the agent's view.

use super::context::{Context, Section};
use crate::exec::{sh_quote, Remote};
use crate::targets::balancer::health::stats_socket;
use schema::Role;
use serde::{Deserialize, Serialize};

/// One balancer host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancerLive {
    pub host: String,
    /// HAProxy runs here (the VIP holder); a standby node does not run it.
    pub running: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<StatRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One line of `show stat`: a frontend, a backend or a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatRow {
    pub proxy: String,
    /// `FRONTEND`, `BACKEND` or the server's name.
    pub name: String,
    /// `UP`, `DOWN`, `MAINT`, `OPEN`, `no check`...
    pub status: String,
    pub sessions: u64,
    pub max_sessions: u64,
    pub total_sessions: u64,
    /// Last health check (`L7OK`, `L4CON`...), servers only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub check: String,
}

impl StatRow {
    pub fn is_server(&self) -> bool {
        self.name != "FRONTEND" && self.name != "BACKEND"
    }
}

fn script(socket: &str) -> String {
    format!(
        "if ! {{ [ -s /run/haproxy.pid ] && kill -0 \"$(cat /run/haproxy.pid)\" 2>/dev/null; }}; then echo '# standby'; exit 0; fi\n\
         command -v socat >/dev/null 2>&1 || {{ echo 'socat is not installed' >&2; exit 2; }}\n\
         echo 'show stat' | socat -t 2 stdio unix-connect:{}\n",
        sh_quote(socket)
    )
}

/// Parses `show stat` CSV by its header (`# pxname,svname,...`).
pub fn parse_stat(csv: &str) -> Vec<StatRow> {
    let mut lines = csv.lines();
    let Some(header) = lines.next().and_then(|h| h.strip_prefix("# ")) else {
        return vec![];
    };
    let cols: Vec<&str> = header.split(',').collect();
    let at = |name: &str| cols.iter().position(|c| *c == name);
    let (px, sv, st) = (at("pxname"), at("svname"), at("status"));
    let (cur, max, tot, chk) = (at("scur"), at("smax"), at("stot"), at("check_status"));
    lines
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let s = |i: Option<usize>| i.and_then(|i| f.get(i)).copied().unwrap_or("").to_string();
            let n = |i: Option<usize>| s(i).parse().unwrap_or(0);
            StatRow {
                proxy: s(px),
                name: s(sv),
                status: s(st),
                sessions: n(cur),
                max_sessions: n(max),
                total_sessions: n(tot),
                check: s(chk).trim_start_matches('*').trim().to_string(),
            }
        })
        .collect()
}

pub async fn collect<R: Remote>(cx: &Context<'_, R>) -> Section<BalancerLive> {
    let Some(b) = cx.state.balancers.first() else {
        return Section::default();
    };
    let script = script(&stats_socket(&b.doc.spec));
    let hosts: Vec<String> = cx
        .state
        .hosts_with_role(Role::Balancer)
        .map(|h| h.name.clone())
        .collect();
    let reads = hosts.iter().map(|host| {
        let script = &script;
        async move {
            let mut live = BalancerLive {
                host: host.clone(),
                running: false,
                rows: vec![],
                error: None,
            };
            match cx.remote.exec(host, script, b"").await {
                Ok(out) if out.success() => {
                    let text = out.stdout_str();
                    live.running = !text.starts_with("# standby");
                    live.rows = parse_stat(&text);
                    if live.running && live.rows.is_empty() {
                        live.error =
                            Some("HAProxy runs but its stats socket gave no answer".into());
                    }
                }
                Ok(out) => live.error = Some(out.stderr_str().trim().to_string()),
                Err(e) => live.error = Some(e.message),
            }
            live
        }
    });
    Section {
        items: futures::future::join_all(reads).await,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_stat_is_read_by_its_header() {
        let csv = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status\n\
http_front,FRONTEND,,,3,10,262124,120,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,7,\n\
http_back,w1,0,0,1,4,,60,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,3,1,,60,,2,0,,4,L7OK\n\
http_back,w2,0,0,0,2,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,5,0,,1,3,2,,0,,2,0,,0,* L4CON\n\
http_back,BACKEND,0,0,1,5,26213,60,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,5,0,,1,3,0,,60,,1,0,,4,\n";
        let rows = parse_stat(csv);
        assert_eq!(rows.len(), 4);
        assert_eq!(
            (
                rows[0].name.as_str(),
                rows[0].status.as_str(),
                rows[0].sessions
            ),
            ("FRONTEND", "OPEN", 3)
        );
        assert_eq!(
            (
                rows[1].status.as_str(),
                rows[1].total_sessions,
                rows[1].check.as_str()
            ),
            ("UP", 60, "L7OK")
        );
        assert_eq!(
            (rows[2].status.as_str(), rows[2].check.as_str()),
            ("MAINT", "L4CON")
        );
        assert!(rows[1].is_server() && !rows[3].is_server());
        assert!(parse_stat("# standby\n").is_empty());
    }
}
