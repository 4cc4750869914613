//! Writing corosync.conf under the `corosync: reload` policy: the totem `token` only.
//!
//! corosync 3 re-reads `totem.token` when told to (`corosync-cfgtool -R`, which reaches
//! every member), so the timeout changes without a restart and without moving a
//! resource. Steps, each checked before the next:
//!
//! 1. read corosync.conf on **every** node (one unreachable node: nothing is written,
//!    since a reload with files that differ between members splits their settings);
//! 2. on each node: stage the edited file, `corosync -t -c` it, refuse if the live file
//!    is no longer the one read (a concurrent hand edit is never overwritten), keep the
//!    previous file as `.agent-prev`, atomic rename;
//! 3. `corosync-cfgtool -R` once, then read the running value back on every node
//!    (`corosync-cmapctl`).
//!
//! Any failure puts the previous files back (and reloads them when a reload had been
//! sent), then reports what happened.

use super::access::ClusterAccess;
use super::corosync::with_token;
use super::error::ClusterError;
use crate::exec::{sh_quote, Remote};
use sha2::{Digest, Sha256};

/// Exit 3: corosync -t refused; 5: the file changed since it was read.
const SWAP: &str = r#"
set -u
p="$f.agent-pending"
cat > "$p" || exit 4
if [ "$(sha256sum < "$f" | cut -d' ' -f1)" != "$OLD" ]; then rm -f "$p"; exit 5; fi
if ! corosync -t -c "$p" > "$p.err" 2>&1; then cat "$p.err"; rm -f "$p" "$p.err"; exit 3; fi
rm -f "$p.err"
chmod --reference="$f" "$p" && chown --reference="$f" "$p" &&
  cp -p "$f" "$f.agent-prev" && mv -f "$p" "$f" || { rm -f "$p"; exit 4; }
"#;

/// Puts `.agent-prev` back (only if it exists: a node not swapped yet has none of ours).
const RESTORE: &str = r#"[ -f "$f.agent-prev" ] && mv -f "$f.agent-prev" "$f""#;

fn tool(node: &str, step: &str, message: impl Into<String>) -> ClusterError {
    ClusterError::Tool {
        node: node.into(),
        step: step.into(),
        message: message.into(),
    }
}

/// Runs `body` on `node` with `$f` set to corosync.conf's path.
async fn exec(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
    body: &str,
    stdin: &[u8],
) -> Result<crate::exec::ExecOutput, ClusterError> {
    let script = format!(
        "{}\nf={}\n{body}",
        access.prelude,
        sh_quote(&access.corosync_conf)
    );
    remote
        .exec(node, &script, stdin)
        .await
        .map_err(|e| ClusterError::Unreachable(e.to_string()))
}

/// [`exec`], returning the exit status and the output (stdout then stderr), trimmed.
async fn run(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
    body: &str,
    stdin: &[u8],
) -> Result<(i32, String), ClusterError> {
    let out = exec(remote, access, node, body, stdin).await?;
    let text = format!("{}{}", out.stdout_str(), out.stderr_str());
    Ok((out.status, text.trim().to_string()))
}

/// Sets `totem.token` to `token` on every node and reloads corosync. `Ok(None)` when
/// every node already has it; `Ok(Some(summary))` when it was changed.
pub async fn set_token(
    remote: &dyn Remote,
    access: &ClusterAccess,
    token: u32,
) -> Result<Option<String>, ClusterError> {
    let mut files = Vec::new();
    for node in &access.nodes {
        let raw = read(remote, access, node).await?;
        let new = with_token(&raw, token)
            .ok_or_else(|| tool(node, "edit corosync.conf", "no totem section"))?;
        files.push((node.clone(), raw, new));
    }
    if files.iter().all(|(_, old, new)| old == new) {
        return Ok(None);
    }
    let mut swapped: Vec<String> = Vec::new();
    for (node, old, new) in &files {
        if old == new {
            continue;
        }
        let sum = format!("{:x}", Sha256::digest(old.as_bytes()));
        let body = format!("OLD={sum}\n{SWAP}");
        let (status, text) = match run(remote, access, node, &body, new.as_bytes()).await {
            Ok(r) => r,
            Err(e) => {
                let back = restore(remote, access, &swapped, false).await;
                return Err(tool(node, "write corosync.conf", format!("{e}; {back}")));
            }
        };
        if status != 0 {
            let why = match status {
                3 => format!("corosync -t refused the new file: {text}"),
                5 => "corosync.conf changed on the node since it was read; nothing written there"
                    .to_string(),
                _ => format!("staging failed: {text}"),
            };
            let back = restore(remote, access, &swapped, false).await;
            return Err(tool(node, "write corosync.conf", format!("{why}; {back}")));
        }
        swapped.push(node.clone());
    }
    let first = &access.nodes[0];
    let (status, text) = run(remote, access, first, "corosync-cfgtool -R", b"").await?;
    if status != 0 {
        let back = restore(remote, access, &swapped, true).await;
        return Err(tool(
            first,
            "corosync-cfgtool -R",
            format!("{text}; {back}"),
        ));
    }
    for node in &access.nodes {
        let live = running_token(remote, access, node).await;
        if live != Some(token) {
            let back = restore(remote, access, &swapped, true).await;
            let seen = live.map_or("unreadable".to_string(), |t| t.to_string());
            return Err(tool(
                node,
                "verify corosync reload",
                format!("totem.token is {seen} after the reload, want {token}; {back}"),
            ));
        }
    }
    let old: Vec<String> = files
        .iter()
        .map(|(n, old, _)| {
            let t = super::corosync::CorosyncConf::parse(old)
                .values
                .get("totem.token")
                .cloned()
                .unwrap_or_else(|| "(unset)".into());
            format!("{n} {t}")
        })
        .collect();
    Ok(Some(format!(
        "corosync totem.token set to {token} on {} (was: {}), reloaded with corosync-cfgtool -R; no restart",
        access.nodes.join(", "),
        old.join(", ")
    )))
}

/// The file's exact bytes (as text) on `node`.
async fn read(
    remote: &dyn Remote,
    access: &ClusterAccess,
    node: &str,
) -> Result<String, ClusterError> {
    let out = exec(remote, access, node, "cat \"$f\"", b"").await?;
    if !out.success() {
        return Err(tool(node, "read corosync.conf", out.stderr_str().trim()));
    }
    Ok(out.stdout_str())
}

/// `totem.token` as corosync runs it on `node` (`corosync-cmapctl -g totem.token`).
async fn running_token(remote: &dyn Remote, access: &ClusterAccess, node: &str) -> Option<u32> {
    let (status, text) = run(remote, access, node, "corosync-cmapctl -g totem.token", b"")
        .await
        .ok()?;
    if status != 0 {
        return None;
    }
    text.rsplit('=').next()?.trim().parse().ok()
}

/// Puts the previous files back on `nodes`; reloads when a reload had been sent.
/// Returns a sentence for the error message.
async fn restore(
    remote: &dyn Remote,
    access: &ClusterAccess,
    nodes: &[String],
    reload: bool,
) -> String {
    if nodes.is_empty() {
        return "no node was changed".into();
    }
    let mut failed = Vec::new();
    for node in nodes {
        match run(remote, access, node, RESTORE, b"").await {
            Ok((0, _)) => {}
            Ok((_, t)) => failed.push(format!("{node}: {t}")),
            Err(e) => failed.push(format!("{node}: {e}")),
        }
    }
    if reload && failed.is_empty() {
        if let Ok((s, t)) = run(remote, access, &nodes[0], "corosync-cfgtool -R", b"").await {
            if s != 0 {
                failed.push(format!("reload: {t}"));
            }
        }
    }
    if failed.is_empty() {
        format!("previous corosync.conf restored on {}", nodes.join(", "))
    } else {
        format!(
            "restoring the previous corosync.conf FAILED ({}): check the nodes by hand",
            failed.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    //! The orchestration against an in-memory pair of nodes (the lab suite
    //! `cluster_corosync_lab` runs the real tools): what is written, what is put back.
    use super::*;
    use crate::exec::{ExecOutput, RemoteError};
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    const CONF: &str =
        "totem {\n    version: 2\n    token: 1000\n}\nquorum {\n    two_node: 1\n}\n";

    #[derive(Default)]
    struct Node {
        file: String,
        prev: Option<String>,
        running: u32,
    }

    /// Two nodes; `refuse_on` fails `corosync -t` there; `reload_ignored` makes the
    /// reload a no-op (the running token stays).
    #[derive(Default)]
    struct Fake {
        nodes: Mutex<BTreeMap<String, Node>>,
        refuse_on: Option<&'static str>,
        reload_ignored: bool,
        reloads: Mutex<u32>,
    }

    impl Fake {
        fn new() -> Fake {
            let f = Fake::default();
            for n in ["ha1", "ha2"] {
                f.nodes.lock().unwrap().insert(
                    n.into(),
                    Node {
                        file: CONF.into(),
                        prev: None,
                        running: 1000,
                    },
                );
            }
            f
        }
        fn file(&self, n: &str) -> String {
            self.nodes.lock().unwrap()[n].file.clone()
        }
        fn running(&self, n: &str) -> u32 {
            self.nodes.lock().unwrap()[n].running
        }
    }

    fn out(status: i32, stdout: &str) -> ExecOutput {
        ExecOutput {
            status,
            stdout: stdout.as_bytes().to_vec(),
            stderr: vec![],
        }
    }

    #[async_trait::async_trait]
    #[async_trait::async_trait]
    impl Remote for Fake {
        async fn exec(
            &self,
            host: &str,
            script: &str,
            stdin: &[u8],
        ) -> Result<ExecOutput, RemoteError> {
            let mut nodes = self.nodes.lock().unwrap();
            if script.contains("corosync-cfgtool -R") {
                *self.reloads.lock().unwrap() += 1;
                if !self.reload_ignored {
                    for n in nodes.values_mut() {
                        let c = super::super::corosync::CorosyncConf::parse(&n.file);
                        n.running = c.values["totem.token"].parse().unwrap();
                    }
                }
                return Ok(out(0, ""));
            }
            let node = nodes.get_mut(host).expect("known node");
            if script.contains(".agent-pending") {
                let sum = format!("{:x}", Sha256::digest(node.file.as_bytes()));
                if !script.contains(&format!("OLD={sum}")) {
                    return Ok(out(5, ""));
                }
                if self.refuse_on == Some(host) {
                    return Ok(out(3, "parse error"));
                }
                node.prev = Some(std::mem::replace(
                    &mut node.file,
                    String::from_utf8(stdin.to_vec()).unwrap(),
                ));
                Ok(out(0, ""))
            } else if script.contains(".agent-prev\" ] &&") {
                if let Some(p) = node.prev.take() {
                    node.file = p;
                }
                Ok(out(0, ""))
            } else if script.contains("corosync-cmapctl") {
                Ok(out(0, &format!("totem.token (u32) = {}\n", node.running)))
            } else {
                Ok(out(0, &node.file))
            }
        }
    }

    fn access() -> ClusterAccess {
        ClusterAccess::cib_file(
            vec!["ha1".into(), "ha2".into()],
            "/nonexistent",
            "/etc/corosync/corosync.conf",
        )
    }

    #[tokio::test]
    async fn sets_the_token_everywhere_then_is_a_no_op() {
        let fake = Fake::new();
        let done = set_token(&fake, &access(), 3000).await.unwrap().unwrap();
        assert!(
            done.contains("set to 3000") && done.contains("ha1 1000"),
            "{done}"
        );
        for n in ["ha1", "ha2"] {
            assert_eq!(fake.file(n), CONF.replace("token: 1000", "token: 3000"));
            assert_eq!(fake.running(n), 3000);
        }
        assert_eq!(set_token(&fake, &access(), 3000).await.unwrap(), None);
        assert_eq!(*fake.reloads.lock().unwrap(), 1, "no second reload");
    }

    #[tokio::test]
    async fn a_file_refused_on_the_second_node_puts_the_first_back_without_reload() {
        let fake = Fake {
            refuse_on: Some("ha2"),
            ..Fake::new()
        };
        let err = set_token(&fake, &access(), 3000).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("ha2") && msg.contains("corosync -t refused"),
            "{msg}"
        );
        assert!(msg.contains("restored on ha1"), "{msg}");
        assert_eq!(fake.file("ha1"), CONF);
        assert_eq!(fake.file("ha2"), CONF);
        assert_eq!(*fake.reloads.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn a_reload_that_does_not_take_restores_and_reloads_the_old_files() {
        let fake = Fake {
            reload_ignored: true,
            ..Fake::new()
        };
        let err = set_token(&fake, &access(), 3000).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("totem.token is 1000 after the reload, want 3000"),
            "{msg}"
        );
        assert!(msg.contains("restored on ha1, ha2"), "{msg}");
        assert_eq!(fake.file("ha1"), CONF);
        assert_eq!(fake.file("ha2"), CONF);
        assert_eq!(*fake.reloads.lock().unwrap(), 2, "the restore reloads too");
    }
}
