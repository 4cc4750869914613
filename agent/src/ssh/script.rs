//! The remote side of each file operation: small POSIX `sh` scripts, built here as
//! strings and parsed back here, so that every step is ONE SSH round trip.
//!
//! Pure functions only (no I/O), so the quoting and the answer formats are unit-tested.
//! The builders are public because targets chain them with their own commands in a
//! single round trip (e.g. `haproxy -c -f STAGED && <commit> && <reload>`).
//! Remote requirements: a POSIX shell and GNU coreutils (`sha256sum`, `mktemp`,
//! `sync FILE`, `ln`, `mv`), i.e. any Debian or RHEL host.

use super::files::{Fetch, Observed, StagedFile};
use sha2::{Digest, Sha256};

/// Suffix of the previous version kept next to a committed file, for rollback.
pub const BACKUP_SUFFIX: &str = ".agent-prev";

/// Quote `s` as one word for a POSIX shell.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:@,%".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The command line sent to the host: `script` as is, or run by root through `sudo -n`
/// (never prompts: fails at once when sudo wants a password).
pub fn wrap(script: &str, sudo: bool) -> String {
    if sudo {
        format!("sudo -n -- sh -c {}", quote(script))
    } else {
        script.to_owned()
    }
}

/// Same, for the internal scripts: always run by `sh`, whatever the login shell is.
pub(crate) fn wrap_sh(script: &str, sudo: bool) -> String {
    if sudo {
        wrap(script, true)
    } else {
        format!("sh -c {}", quote(script))
    }
}

/// Observe files: per path one answer line, `A` (absent), `S <sha256>` (no content
/// wanted) or `C <sha256> <len>` followed by exactly `len` bytes of content. A content
/// is copied once to a temp file first, so hash, length and bytes always agree.
pub fn observe(files: &[(&str, Fetch)]) -> String {
    let mut s = String::from(
        r#"obs() {
  if [ ! -e "$1" ] && [ ! -L "$1" ]; then echo A; return 0; fi
  h=$(sha256sum < "$1") || return 1
  h=${h%% *}
  if [ "$2" = "-" ] || [ "$h" = "$2" ]; then echo "S $h"; return 0; fi
  t=$(mktemp) || return 1
  if cat -- "$1" > "$t"; then
    h=$(sha256sum < "$t"); n=$(wc -c < "$t"); echo "C ${h%% *} $n"; cat -- "$t"; rm -f -- "$t"
  else rm -f -- "$t"; return 1; fi
}
"#,
    );
    for (path, expected) in files {
        let want = match expected {
            Fetch::HashOnly => "-".to_owned(),
            Fetch::Always => "+".to_owned(),
            Fetch::UnlessHash(h) => hex::encode(h),
        };
        s.push_str(&format!("obs {} {want} || exit 3\n", quote(path)));
    }
    s
}

/// Parse the answer of [`observe`], checking every transferred content against its hash.
pub fn parse_observe(paths: &[&str], mut out: &[u8]) -> Result<Vec<Observed>, String> {
    let mut res = Vec::with_capacity(paths.len());
    for path in paths {
        let nl = out
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| format!("answer ends before {path}"))?;
        let line = std::str::from_utf8(&out[..nl]).map_err(|_| "non-UTF-8 header")?;
        out = &out[nl + 1..];
        let mut f = line.split(' ');
        let obs = match (f.next(), f.next(), f.next()) {
            (Some("A"), None, None) => Observed::Absent,
            (Some("S"), Some(h), None) => Observed::Hash {
                sha256: parse_hash(h)?,
            },
            (Some("C"), Some(h), Some(n)) => {
                let n: usize = n.parse().map_err(|_| format!("bad length {n:?}"))?;
                if out.len() < n {
                    return Err(format!("content of {path} truncated"));
                }
                let (content, rest) = out.split_at(n);
                out = rest;
                let sha256 = parse_hash(h)?;
                if Sha256::digest(content).as_slice() != sha256 {
                    return Err(format!("content of {path} does not match its hash"));
                }
                Observed::Content {
                    sha256,
                    content: content.to_vec(),
                }
            }
            _ => return Err(format!("unexpected line {line:?} for {path}")),
        };
        res.push(obs);
    }
    if !out.is_empty() {
        return Err("trailing bytes after the last file".to_owned());
    }
    Ok(res)
}

fn parse_hash(h: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(h, &mut out).map_err(|_| format!("bad sha256 {h:?}"))?;
    Ok(out)
}

/// Read one file: `P` then the content, or `A` when it does not exist.
pub fn read(path: &str) -> String {
    let p = quote(path);
    format!("if [ -e {p} ]; then printf P; exec cat -- {p}; else printf A; fi")
}

/// Write stdin to a new temporary file next to `path` (same directory, so the later
/// rename is atomic), set mode and owner, fsync it, print `<sha256> <temp path>`.
/// The temporary file is removed if any step fails.
pub fn stage(path: &str, mode: u32, owner: Option<&str>) -> Result<String, String> {
    let (dir, base) = split(path)?;
    let template = format!("{dir}/.{base}.agent-XXXXXX");
    let chown = owner
        .map(|o| format!("chown -- {} \"$t\"\n", quote(o)))
        .unwrap_or_default();
    Ok(format!(
        "set -e\nt=$(mktemp -- {tpl})\ntrap 'rm -f -- \"$t\"' EXIT\ncat > \"$t\"\nchmod {mode:o} -- \"$t\"\n{chown}sync -- \"$t\"\nh=$(sha256sum < \"$t\")\ntrap - EXIT\nprintf '%s %s\\n' \"${{h%% *}}\" \"$t\"\n",
        tpl = quote(&template),
    ))
}

/// Atomically replace the live file by the staged one. With `keep_backup`, the previous
/// version is hard-linked to `<path>.agent-prev` first (or a stale backup removed when
/// there was no previous version). The directory is fsynced. Prints `kept`, `absent`
/// or `replaced` (what happened to the previous version).
pub fn commit(staged: &StagedFile, keep_backup: bool) -> String {
    let p = quote(&staged.path);
    let t = quote(&staged.temp_path);
    let b = quote(&format!("{}{BACKUP_SUFFIX}", staged.path));
    let d = quote(split(&staged.path).map(|(d, _)| d).unwrap_or("/"));
    let keep = if keep_backup {
        format!("if [ -e {p} ]; then ln -f -- {p} {b}; r=kept; else rm -f -- {b}; r=absent; fi")
    } else {
        format!("if [ -e {p} ]; then r=replaced; else r=absent; fi")
    };
    format!(
        "set -e\n[ -f {t} ] || {{ echo 'staged file {st} is gone' >&2; exit 4; }}\n{keep}\nmv -f -- {t} {p}\nsync -- {d}\necho $r\n",
        st = staged.temp_path.replace('\'', "")
    )
}

/// Put `<path>.agent-prev` back in place atomically; prints `restored` or `none`.
pub fn restore(path: &str) -> Result<String, String> {
    let (dir, _) = split(path)?;
    let p = quote(path);
    let b = quote(&format!("{path}{BACKUP_SUFFIX}"));
    Ok(format!(
        "set -e\nif [ -e {b} ]; then mv -f -- {b} {p}; sync -- {d}; echo restored; else echo none; fi\n",
        d = quote(dir)
    ))
}

/// Remove a file (a staged temp file, or a file created by a rolled-back commit) and
/// fsync its directory.
pub fn remove(path: &str) -> Result<String, String> {
    let (dir, _) = split(path)?;
    Ok(format!(
        "rm -f -- {} && sync -- {}",
        quote(path),
        quote(dir)
    ))
}

/// Remove temp files that [`stage`] left next to `path` (an agent killed between stage
/// and commit); prints how many were removed.
pub fn cleanup_staged(path: &str) -> Result<String, String> {
    let (dir, base) = split(path)?;
    // The glob part stays outside the quotes; mktemp's six X are [A-Za-z0-9].
    let prefix = quote(&format!("{dir}/.{base}.agent-"));
    Ok(format!(
        "n=0\nfor f in {prefix}??????; do if [ -f \"$f\" ]; then rm -f -- \"$f\" && n=$((n+1)); fi; done\necho $n\n"
    ))
}

/// Split an absolute path into (directory, file name); refuses relative paths,
/// newlines and NUL bytes (which no answer format can carry).
pub(crate) fn split(path: &str) -> Result<(&str, &str), String> {
    if !path.starts_with('/') || path.contains(['\n', '\0']) || path.ends_with('/') {
        return Err(format!("not an absolute file path: {path:?}"));
    }
    let i = path.rfind('/').unwrap_or(0);
    Ok((if i == 0 { "/" } else { &path[..i] }, &path[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_leaves_plain_words_and_escapes_the_rest() {
        assert_eq!(
            quote("/etc/haproxy/haproxy.cfg"),
            "/etc/haproxy/haproxy.cfg"
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn sudo_wraps_the_whole_script_once() {
        assert_eq!(wrap("id -u", false), "id -u");
        assert_eq!(
            wrap("id -u; echo 'x'", true),
            r"sudo -n -- sh -c 'id -u; echo '\''x'\'''"
        );
    }

    #[test]
    fn split_refuses_relative_and_multiline_paths() {
        assert_eq!(split("/etc/a.cfg"), Ok(("/etc", "a.cfg")));
        assert_eq!(split("/a"), Ok(("/", "a")));
        assert!(split("etc/a").is_err());
        assert!(split("/etc/a\nb").is_err());
        assert!(split("/etc/").is_err());
    }

    #[test]
    fn parse_observe_reads_all_three_answers() {
        let content = b"global\n  maxconn 10\n";
        let h = hex::encode(Sha256::digest(content));
        let mut out = format!("A\nS {h}\nC {h} {}\n", content.len()).into_bytes();
        out.extend_from_slice(content);
        let got = parse_observe(&["/a", "/b", "/c"], &out).unwrap();
        assert_eq!(got[0], Observed::Absent);
        assert!(matches!(got[1], Observed::Hash { .. }));
        match &got[2] {
            Observed::Content { content: c, .. } => assert_eq!(c, content),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parse_observe_rejects_tampered_or_short_answers() {
        let h = hex::encode(Sha256::digest(b"abc"));
        assert!(parse_observe(&["/a"], format!("C {h} 3\nabd").as_bytes()).is_err());
        assert!(parse_observe(&["/a"], format!("C {h} 4\nabc").as_bytes()).is_err());
        assert!(parse_observe(&["/a", "/b"], b"A\n").is_err());
        assert!(parse_observe(&["/a"], b"A\nA\n").is_err());
    }
}
