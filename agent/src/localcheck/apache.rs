//! `apache2ctl -t` on a staged copy of `/etc/apache2` holding the rendered site.

use super::tool::{diag, distinct, rendered_line, run, where_, LocalCheck, Tools};
use crate::rendered::{ManagedFile, Rendered};
use crate::targets::gateway::render::NAME as GATEWAY;
use schema::DesiredState;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(super) fn check(
    rendered: &Rendered,
    tools: &Tools,
    base: &Path,
    state: Option<&DesiredState>,
) -> LocalCheck {
    let mut out = LocalCheck::default();
    // Support files (TLS certificate and key) are not Apache configuration.
    let mut groups = distinct(rendered, GATEWAY);
    groups.retain(|g| !g[0].is_support());
    if groups.is_empty() {
        return out;
    }
    let (Some(ctl), Some(conf)) = (&tools.apache2ctl, &tools.apache_conf) else {
        out.skipped.push("apache2ctl".into());
        return out;
    };
    for (i, group) in groups.iter().enumerate() {
        let f = group[0];
        let at = where_(group);
        let root = base.join(format!("apache-{i}"));
        let staged = match stage_apache(conf, &root, f) {
            Ok(s) => s,
            Err(StageError::Io(e)) => {
                out.problems.push(diag(
                    state,
                    &f.source,
                    false,
                    format!("apache2ctl -t did not run for {at}: staging failed: {e}"),
                ));
                continue;
            }
            Err(StageError::Module(m)) => {
                out.problems.push(diag(
                    state, &f.source,
                    true,
                    format!("{at} needs Apache module `{m}`, which has no {m}.load in {}/mods-available", conf.display()),
                ));
                continue;
            }
        };
        out.checked.push(format!("apache2ctl -t: {at}"));
        let result = run(Command::new(ctl)
            .arg("-t")
            .env("APACHE_CONFDIR", root.join("apache2")));
        match result {
            Err(e) => out.problems.push(diag(
                state,
                &f.source,
                false,
                format!("apache2ctl -t did not run for {at}: {e}"),
            )),
            Ok((true, _)) => {}
            Ok((false, text)) => out.problems.push(diag(
                state,
                &f.source,
                true,
                apache_message(&text, &staged, f, &at),
            )),
        }
    }
    out
}

/// The staged site file and the placeholder → real path map of its TLS files.
struct StagedSite {
    site: String,
    tls: Vec<(String, String)>,
}

enum StageError {
    Io(std::io::Error),
    Module(String),
}

impl From<std::io::Error> for StageError {
    fn from(e: std::io::Error) -> Self {
        StageError::Io(e)
    }
}

/// Builds `<root>/apache2`: a copy of the Debian tree with only this site
/// enabled, its modules (and their `# Depends:`) enabled, and run/lock/log
/// directories inside `root`, so `apache2ctl -t` touches nothing else.
fn stage_apache(conf: &Path, root: &Path, f: &ManagedFile) -> Result<StagedSite, StageError> {
    let etc = root.join("apache2");
    copy_tree(conf, &etc)?;
    for d in ["run/socks", "lock", "log", "tls"] {
        std::fs::create_dir_all(root.join(d))?;
    }
    let mut envvars = std::fs::read_to_string(etc.join("envvars")).unwrap_or_default();
    let r = root.display();
    envvars.push_str(&format!(
        "\n# agent local check: keep every runtime path inside the staged tree\n\
         export APACHE_RUN_DIR={r}/run\nexport APACHE_PID_FILE={r}/run/apache2.pid\n\
         export APACHE_LOCK_DIR={r}/lock\nexport APACHE_LOG_DIR={r}/log\n"
    ));
    std::fs::write(etc.join("envvars"), envvars)?;
    let sites = etc.join("sites-enabled");
    let _ = std::fs::remove_dir_all(&sites);
    std::fs::create_dir_all(&sites)?;
    for m in &f.modules {
        enable_module(&etc, m)?;
    }
    // The certificate files live on the gateway, not here: point the staged
    // copy at placeholder files (mod_ssl's syntax check only needs them to exist).
    let mut tls = Vec::new();
    let mut content = String::with_capacity(f.content.len());
    for l in f.content.lines() {
        let mut words = l.split_whitespace();
        let is_tls = matches!(
            words.next(),
            Some(
                "SSLCertificateFile"
                    | "SSLCertificateKeyFile"
                    | "SSLCertificateChainFile"
                    | "SSLCACertificateFile"
            )
        );
        if let Some(l) = optional_include(l, &etc) {
            content.push_str(&l);
            content.push('\n');
            continue;
        }
        match (is_tls, words.next()) {
            (true, Some(path)) => {
                let placeholder = root
                    .join(format!("tls/{}", tls.len()))
                    .display()
                    .to_string();
                std::fs::write(&placeholder, "placeholder\n")?;
                content.push_str(&l.replacen(path, &placeholder, 1));
                tls.push((placeholder, path.to_string()));
            }
            _ => content.push_str(l),
        }
        content.push('\n');
    }
    let name = Path::new(&f.path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let site = sites.join(format!("{name}.conf"));
    std::fs::write(&site, content)?;
    Ok(StagedSite {
        site: site.display().to_string(),
        tls,
    })
}

/// An `Include` of files that live on the gateway host but not here (kept as written
/// from an import) becomes `IncludeOptional` in the staged copy: the site's own
/// syntax is checked here, the included files by the on-host check.
fn optional_include(line: &str, etc: &Path) -> Option<String> {
    let t = line.trim_start();
    let (kw, rest) = t.split_once(char::is_whitespace)?;
    if !kw.eq_ignore_ascii_case("Include") {
        return None;
    }
    let target = rest.trim().trim_matches('"');
    let path = if target.starts_with('/') {
        PathBuf::from(target)
    } else {
        etc.join(target)
    };
    let glob = target.contains(['*', '?', '[']);
    if !glob && path.exists() {
        return None;
    }
    let indent = &line[..line.len() - t.len()];
    Some(format!("{indent}IncludeOptional {rest}"))
}

fn enable_module(etc: &Path, m: &str) -> Result<(), StageError> {
    let avail = etc.join("mods-available");
    let load = avail.join(format!("{m}.load"));
    let text = std::fs::read_to_string(&load).map_err(|_| StageError::Module(m.to_string()))?;
    for ext in ["load", "conf"] {
        let link = etc.join(format!("mods-enabled/{m}.{ext}"));
        if avail.join(format!("{m}.{ext}")).exists() && std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("../mods-available/{m}.{ext}"), &link)?;
        }
    }
    let deps = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# Depends:"))
        .flat_map(|d| {
            d.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        });
    for d in deps {
        if std::fs::symlink_metadata(etc.join(format!("mods-enabled/{d}.load"))).is_err() {
            enable_module(etc, &d)?;
        }
    }
    Ok(())
}

/// Copies a tree, recreating symlinks as symlinks (Debian's `*-enabled` links are relative).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let t = e.file_type()?;
        if t.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if t.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// `AH00526: Syntax error on line 12 of /tmp/…/x.conf:` + the next line → one message.
fn apache_message(text: &str, staged: &StagedSite, f: &ManagedFile, at: &str) -> String {
    let mut relevant: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.contains("AH00558")
                && !l.starts_with("Action '-t' failed")
                && !l.contains("error log may have more")
        })
        .collect();
    let mut lineno = None;
    if let Some(p) = relevant
        .iter()
        .position(|l| l.contains("Syntax error on line"))
    {
        lineno = relevant[p]
            .split("Syntax error on line ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|_| relevant[p].contains(&staged.site));
        relevant.remove(p);
    }
    let mut msg = relevant.join(" ").trim().replace(&staged.site, at);
    for (placeholder, real) in &staged.tls {
        msg = msg.replace(placeholder, real);
    }
    match lineno.and_then(|n| rendered_line(&f.content, n).map(|t| (n, t))) {
        Some((n, t)) => format!("apache2ctl -t rejects {at} line {n} `{t}`: {msg}"),
        None => format!("apache2ctl -t rejects {at}: {msg}"),
    }
}
