//! Managed files on a host: observe (hash first, content only when it differs)
//! and apply (stage → validate → keep previous → atomic rename → reload), each
//! one round trip, written as POSIX `sh` so they run the same over SSH and locally.
//!
//! Guarantees of [`apply_file`]: the live file is only ever replaced by
//! `rename(2)` of a complete, fsynced, validated staged copy in the same
//! directory, so a crash or kill at any moment leaves the old or the new file,
//! never a partial one. A `<path>.agent-pending` marker exists from just before
//! the rename until the reload succeeded; [`observe`] reports it, so an
//! interrupted apply is finished (reloaded) by the next one even though the
//! file content already matches.

use crate::exec::{sh_quote, ExecOutput, Remote, RemoteError};
use crate::rendered::ManagedFile;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What is on the host compared to what Git wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    Same,
    Missing,
    /// Present with other content (the live bytes, for the diff).
    Differs(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedFile {
    pub path: String,
    pub live: Live,
    /// An earlier apply replaced the file but did not finish its reload.
    pub reload_pending: bool,
}

/// One host's managed files plus target-specific facts (`key=value` lines) and
/// blocks (multi-line texts, e.g. HAProxy's `show servers state`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observation {
    pub files: Vec<ObservedFile>,
    pub facts: BTreeMap<String, String>,
    /// Named texts the facts script printed after a `BLOCK <name>` line.
    pub blocks: BTreeMap<String, String>,
}

/// The line a facts script prints before a named multi-line block; the block runs
/// to the next such line or the end of the output, so blocks come after the facts.
pub const BLOCK: &str = "BLOCK ";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

const OBSERVE: &str = r#"
while read -r want path; do
  [ -n "$path" ] || continue
  [ -e "$path.agent-pending" ] && echo "PENDING $path"
  if [ ! -e "$path" ]; then echo "MISSING $path"; continue; fi
  have=$(sha256sum < "$path") || { echo "UNREADABLE $path"; continue; }
  if [ "${have%% *}" = "$want" ]; then echo "SAME $path"
  else echo "DIFF $(wc -c < "$path") $path"; cat "$path"; echo; fi
done
echo FACTS
"#;

/// Reads the state of `files` on `host` in one round trip; `facts_script` (may be empty)
/// prints `key=value` lines after the files, then any [`BLOCK`]s.
pub async fn observe(
    remote: &dyn Remote,
    host: &str,
    files: &[&ManagedFile],
    facts_script: &str,
) -> Result<Observation, RemoteError> {
    let stdin: String = files
        .iter()
        .map(|f| format!("{} {}\n", sha256_hex(f.content.as_bytes()), f.path))
        .collect();
    let script = format!("{OBSERVE}{facts_script}");
    let out = remote.exec(host, &script, stdin.as_bytes()).await?;
    if !out.success() {
        return Err(protocol_error(host, "observe", &out));
    }
    parse_observation(&out.stdout)
        .ok_or_else(|| protocol_error(host, "observe (unexpected output)", &out))
}

fn protocol_error(host: &str, step: &str, out: &ExecOutput) -> RemoteError {
    RemoteError {
        host: host.to_string(),
        message: format!(
            "{step} failed (exit {}): {}",
            out.status,
            out.stderr_str().trim()
        ),
        transient: false,
    }
}

fn parse_observation(mut rest: &[u8]) -> Option<Observation> {
    let mut obs = Observation::default();
    let mut pending = Vec::new();
    loop {
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let line = std::str::from_utf8(&rest[..nl]).ok()?;
        rest = &rest[nl + 1..];
        if line == "FACTS" {
            break;
        }
        let (tag, tail) = line.split_once(' ')?;
        match tag {
            "PENDING" => pending.push(tail.to_string()),
            "SAME" | "MISSING" => obs.files.push(ObservedFile {
                path: tail.to_string(),
                live: if tag == "SAME" {
                    Live::Same
                } else {
                    Live::Missing
                },
                reload_pending: false,
            }),
            "UNREADABLE" => return None,
            "DIFF" => {
                let (size, path) = tail.split_once(' ')?;
                let size: usize = size.trim().parse().ok()?;
                let content = rest.get(..size)?.to_vec();
                rest = rest.get(size + 1..)?;
                obs.files.push(ObservedFile {
                    path: path.to_string(),
                    live: Live::Differs(content),
                    reload_pending: false,
                });
            }
            _ => return None,
        }
    }
    for f in &mut obs.files {
        f.reload_pending = pending.contains(&f.path);
    }
    let mut block: Option<String> = None;
    for line in String::from_utf8_lossy(rest).lines() {
        if let Some(name) = line.strip_prefix(BLOCK) {
            obs.blocks.insert(name.to_string(), String::new());
            block = Some(name.to_string());
        } else if let Some(name) = &block {
            let text = obs.blocks.get_mut(name).expect("the block was opened");
            text.push_str(line);
            text.push('\n');
        } else if let Some((k, v)) = line.split_once('=') {
            obs.facts.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    Some(obs)
}

/// How an apply of one file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Replaced and reloaded.
    Applied,
    /// The staged copy was rejected by the check command: nothing live was touched.
    CheckFailed(String),
    /// The reload failed; the previous file was restored and reloaded.
    ReloadFailed {
        error: String,
        rolled_back: Result<(), String>,
    },
}

/// Stages `file`, validates it, keeps the previous version as `<path>.agent-prev`,
/// renames it into place and reloads (one round trip). `reload_only` skips the file
/// steps (content already in place, reload pending from an interrupted apply).
pub async fn apply_file(
    remote: &dyn Remote,
    file: &ManagedFile,
    existed: bool,
    reload_only: bool,
) -> Result<ApplyOutcome, RemoteError> {
    let p = sh_quote(&file.path);
    let reload = file.reload.clone().unwrap_or_else(|| "true".into());
    let script = if reload_only {
        format!("set -u\nif ! out=$({{ {reload}; }} 2>&1); then printf '%s\\n' \"$out\" >&2; exit 11; fi\nrm -f {p}.agent-pending\necho applied\n")
    } else {
        format!(
            r#"{swap}if ! out=$({{ {reload}; }} 2>&1); then printf '%s\n' "$out" >&2; exit 11; fi
rm -f "$p.agent-pending"
echo applied
"#,
            swap = swap_script(file)
        )
    };
    let out = remote
        .exec(&file.host, &script, file.content.as_bytes())
        .await?;
    match out.status {
        0 => Ok(ApplyOutcome::Applied),
        10 => Ok(ApplyOutcome::CheckFailed(
            out.stderr_str().trim().to_string(),
        )),
        11 => {
            let error = out.stderr_str().trim().to_string();
            let rolled_back = rollback(remote, file, existed).await;
            Ok(ApplyOutcome::ReloadFailed { error, rolled_back })
        }
        _ => Err(protocol_error(&file.host, "apply", &out)),
    }
}

/// The file steps of an apply: stage, validate (exit 10), keep the previous version,
/// set the `.agent-pending` marker, rename into place. Leaves `$p` set for what follows.
fn swap_script(file: &ManagedFile) -> String {
    let check = file.check.replace("{file}", "\"$tmp\"");
    format!(
        r#"set -u
p={p}
d=$(dirname "$p"); tmp="$d/.$(basename "$p").agent-new"
mkdir -p "$d" || exit 20
(umask 077; cat > "$tmp") || {{ rm -f "$tmp"; exit 20; }}
chmod {mode:o} "$tmp"
if [ -e "$p" ]; then chown --reference="$p" "$tmp" 2>/dev/null || true; fi
sync "$tmp" 2>/dev/null || true
if ! out=$({{ {check}; }} 2>&1); then printf '%s\n' "$out" >&2; rm -f "$tmp"; exit 10; fi
if [ -e "$p" ]; then cp -p "$p" "$p.agent-prev.tmp" && mv -f "$p.agent-prev.tmp" "$p.agent-prev" || exit 20; fi
: > "$p.agent-pending"
mv -f "$tmp" "$p" || exit 21
sync "$d" 2>/dev/null || true
"#,
        p = sh_quote(&file.path),
        mode = file.mode,
    )
}

/// How [`swap_then`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapOutcome {
    /// Swapped; `then` exited 0 with this output. The pending marker is still set.
    Done(String),
    /// Swapped; `then` failed with this message. The pending marker is still set.
    ThenFailed(String),
    /// The staged copy was rejected by the check command: nothing live was touched.
    CheckFailed(String),
}

/// Like [`apply_file`] up to the rename, then runs `then` instead of the reload, in one
/// round trip. The `.agent-pending` marker stays: the caller clears it with
/// [`clear_pending`] once the new file is known to be in effect, or reloads with
/// `apply_file(.., reload_only = true)`. Killed in between, the marker makes the next
/// apply reload, so the running process always ends up matching the file.
pub async fn swap_then(
    remote: &dyn Remote,
    file: &ManagedFile,
    then: &str,
) -> Result<SwapOutcome, RemoteError> {
    let script = format!("{}( {then}\n) || exit 30\n", swap_script(file));
    let out = remote
        .exec(&file.host, &script, file.content.as_bytes())
        .await?;
    match out.status {
        0 => Ok(SwapOutcome::Done(out.stdout_str())),
        30 => Ok(SwapOutcome::ThenFailed(out.stderr_str().trim().to_string())),
        10 => Ok(SwapOutcome::CheckFailed(
            out.stderr_str().trim().to_string(),
        )),
        _ => Err(protocol_error(&file.host, "apply", &out)),
    }
}

/// Removes the `.agent-pending` marker: the swapped file is in effect without a reload.
pub async fn clear_pending(remote: &dyn Remote, file: &ManagedFile) -> Result<(), RemoteError> {
    let script = format!("rm -f {}.agent-pending", sh_quote(&file.path));
    let out = remote.exec(&file.host, &script, b"").await?;
    if out.success() {
        Ok(())
    } else {
        Err(protocol_error(&file.host, "clear pending marker", &out))
    }
}

/// Puts the previous version back (or removes a file that did not exist before) and
/// reloads. Used after a failed reload or a failed health check.
pub async fn rollback(
    remote: &dyn Remote,
    file: &ManagedFile,
    existed: bool,
) -> Result<(), String> {
    let p = sh_quote(&file.path);
    let reload = file.reload.clone().unwrap_or_else(|| "true".into());
    let restore = if existed {
        format!("[ -e {p}.agent-prev ] || {{ echo 'no previous version kept' >&2; exit 12; }}\ncp -p {p}.agent-prev {p}.agent-new && mv -f {p}.agent-new {p} || exit 12")
    } else {
        format!("rm -f {p}")
    };
    let script = format!(
        "set -u\n{restore}\nsync \"$(dirname {p})\" 2>/dev/null || true\nif ! out=$({{ {reload}; }} 2>&1); then printf '%s\\n' \"$out\" >&2; exit 11; fi\nrm -f {p}.agent-pending\n"
    );
    match remote.exec(&file.host, &script, b"").await {
        Ok(o) if o.success() => Ok(()),
        Ok(o) => Err(format!(
            "rollback failed (exit {}): {}",
            o.status,
            o.stderr_str().trim()
        )),
        Err(e) => Err(e.to_string()),
    }
}
