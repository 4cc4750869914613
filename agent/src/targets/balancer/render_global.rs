//! The `global` settings beyond the runtime socket and the process owner: limits,
//! reload, paths, TLS defaults. A leaf of [`super::render`].

use schema::{Global, SslDefaults};

fn line(out: &mut String, text: impl AsRef<str>) {
    out.push_str("    ");
    out.push_str(text.as_ref());
    out.push('\n');
}

pub fn write_global_more(out: &mut String, g: &Global) {
    for (kw, v) in [
        ("uid", g.uid),
        ("gid", g.gid),
        ("ulimit-n", g.ulimit_n),
        ("nbthread", g.nbthread),
    ] {
        if let Some(v) = v {
            line(out, format!("{kw} {v}"));
        }
    }
    if let Some(t) = &g.hard_stop_after {
        line(out, format!("hard-stop-after {t}"));
    }
    if g.master_worker {
        line(out, "master-worker");
    }
    if g.strict_limits {
        line(out, "strict-limits");
    }
    for (kw, v) in [
        ("default-path", &g.default_path),
        ("ca-base", &g.ca_base),
        ("crt-base", &g.crt_base),
    ] {
        if let Some(v) = v {
            line(out, format!("{kw} {v}"));
        }
    }
    ssl_defaults(out, "bind", g.ssl_default_bind.as_ref());
    ssl_defaults(out, "server", g.ssl_default_server.as_ref());
}

fn ssl_defaults(out: &mut String, side: &str, d: Option<&SslDefaults>) {
    let Some(d) = d else { return };
    if let Some(c) = &d.ciphers {
        line(out, format!("ssl-default-{side}-ciphers {c}"));
    }
    if let Some(c) = &d.ciphersuites {
        line(out, format!("ssl-default-{side}-ciphersuites {c}"));
    }
    if !d.options.is_empty() {
        line(
            out,
            format!("ssl-default-{side}-options {}", d.options.join(" ")),
        );
    }
}
