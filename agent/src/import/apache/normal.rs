//! Apache configuration in canonical form (see [`crate::import::semantic`]).
//!
//! Normalised because httpd reads both forms alike:
//! - directive and section names are case-insensitive; so are `On`/`Off` flags;
//! - directives are grouped by class, file order kept inside a class where httpd
//!   honours it (`Rewrite*` together, `ProxyPass*`, `Redirect*`, `Alias*`,
//!   `Header`, `RequestHeader`, `SetEnvIf`/`BrowserMatch`, `<Location*>` blocks,
//!   `<Directory*>` blocks…) and virtual hosts ordered per address (the first one of
//!   an address is its default);
//! - `ServerAlias a b` is `ServerAlias a` + `ServerAlias b`;
//! - `ProxyRequests Off`, `ProxyPreserveHost Off`, `SSLEngine Off` are the defaults;
//! - `Redirect*` status keywords are numbers, a missing status is 302;
//! - `ProxyPass` `key=value` parameters are unordered; `Header onsuccess` is `Header`;
//! - `BrowserMatch[NoCase] R …` is `SetEnvIf[NoCase] User-Agent R …`;
//! - `<IfModule m>` whose module is on (per [`Ctx`]) is replaced by its content, and
//!   an `Include` whose files were read is replaced by them.

use super::tokens::{Block, Directive, Node};
use crate::import::semantic::Normal;
use std::collections::BTreeMap;

/// Which `<IfModule>` conditions hold.
pub struct Ctx<'a> {
    pub module_on: &'a dyn Fn(&str) -> bool,
}

/// `mod_ssl.c`, `ssl_module`, `mod_ssl` → `ssl`; `None` for a negated condition.
pub fn module_id(cond: &str) -> Option<String> {
    if cond.starts_with('!') {
        return None;
    }
    let c = cond.trim();
    let c = c.strip_suffix(".c").unwrap_or(c);
    let c = c.strip_prefix("mod_").unwrap_or(c);
    let c = c.strip_suffix("_module").unwrap_or(c);
    Some(c.to_string())
}

/// The nodes of a context with true `<IfModule>`s and read `Include`s flattened.
pub fn expand<'n>(nodes: &'n [Node], ctx: &Ctx<'_>) -> Vec<&'n Node> {
    flatten(nodes, ctx, true)
}

/// [`expand`] without touching `Include`s (what import types: includes stay includes).
pub fn expand_modules<'n>(nodes: &'n [Node], ctx: &Ctx<'_>) -> Vec<&'n Node> {
    flatten(nodes, ctx, false)
}

/// Whether `ctx` replaces this block by its content.
pub fn unwraps(b: &Block, ctx: &Ctx<'_>) -> Option<String> {
    let m = module_id(b.args.first().map(String::as_str).unwrap_or("!"))?;
    (b.is("IfModule") && (ctx.module_on)(&m)).then_some(m)
}

fn flatten<'n>(nodes: &'n [Node], ctx: &Ctx<'_>, includes: bool) -> Vec<&'n Node> {
    let mut out = Vec::new();
    for n in nodes {
        match n {
            Node::Block(b) if unwraps(b, ctx).is_some() => {
                out.extend(flatten(&b.children, ctx, includes))
            }
            Node::Include(_, Some(files)) if includes => {
                for (_, f) in files {
                    out.extend(flatten(f, ctx, includes));
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The class of a directive or block (lowercase).
pub fn class_of(n: &Node) -> String {
    match n {
        Node::Block(b) => {
            let name = b.name.to_ascii_lowercase();
            let family = match name.as_str() {
                "location" | "locationmatch" => "location",
                "directory" | "directorymatch" => "directory",
                "files" | "filesmatch" => "files",
                "proxy" | "proxymatch" => "proxy",
                "if" | "elseif" | "else" => "if",
                "virtualhost" => return format!("<virtualhost {}>", vhost_addr(b)),
                other => other,
            };
            format!("<{family}>")
        }
        Node::Include(..) => "include".into(),
        Node::Directive(d) => {
            let name = d.name.to_ascii_lowercase();
            match name.as_str() {
                n if n.starts_with("rewrite") => "rewrite".into(),
                "proxypass" | "proxypassmatch" => "proxypass".into(),
                "redirect" | "redirectmatch" | "redirectpermanent" | "redirecttemp" => {
                    "redirect".into()
                }
                "alias" | "aliasmatch" | "scriptalias" | "scriptaliasmatch" => "alias".into(),
                "setenvif" | "setenvifnocase" | "browsermatch" | "browsermatchnocase" => {
                    "setenvif".into()
                }
                "macro" | "use" => "macro".into(),
                _ => name,
            }
        }
    }
}

/// A `<VirtualHost>`'s addresses, lowercased and sorted.
pub fn vhost_addr(b: &Block) -> String {
    let mut a: Vec<String> = b.args.iter().map(|x| x.to_ascii_lowercase()).collect();
    a.sort();
    a.join(" ")
}

/// The canonical form of a parsed file.
pub fn normal(nodes: &[Node], ctx: &Ctx<'_>) -> Normal {
    let mut out = Normal::default();
    context(&mut out, "", nodes, ctx);
    out
}

fn context(out: &mut Normal, path: &str, nodes: &[Node], ctx: &Ctx<'_>) {
    let mut classes: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
    for n in expand(nodes, ctx) {
        classes.entry(class_of(n)).or_default().push(n);
    }
    for (class, items) in classes {
        for (k, n) in items.into_iter().enumerate() {
            match n {
                Node::Block(b) => {
                    let label = format!("{path}{class}#{k}");
                    let args = b.args.join(" ");
                    out.push(format!("{label} {args}"), n.origin());
                    context(out, &format!("{label} > "), &b.children, ctx);
                }
                Node::Directive(d) | Node::Include(d, _) => {
                    for text in canonical(d) {
                        out.push(format!("{path}{text}"), n.origin());
                    }
                }
            }
        }
    }
}

/// A directive's canonical text(s) (none when it states the default).
fn canonical(d: &Directive) -> Vec<String> {
    let mut name = d.name.to_ascii_lowercase();
    let mut args = d.args.clone();
    match name.as_str() {
        "browsermatch" | "browsermatchnocase" => {
            name = name.replace("browsermatch", "setenvif");
            args.insert(0, "user-agent".into());
        }
        "setenvif" | "setenvifnocase"
            if args
                .first()
                .is_some_and(|a| a.eq_ignore_ascii_case("user-agent")) =>
        {
            args[0].make_ascii_lowercase();
        }
        "serveralias" => return args.iter().map(|a| format!("serveralias {a}")).collect(),
        "sslengine"
        | "proxyrequests"
        | "proxypreservehost"
        | "rewriteengine"
        | "sslproxyengine"
        | "allowencodedslashes"
        | "serversignature"
        | "sslhonorcipherorder"
        | "sslcompression"
        | "sslusestapling"
        | "keepalive"
        | "hostnamelookups"
        | "usecanonicalname"
        | "expiresactive"
        | "proxyvia"
        | "proxyerroroverride"
        | "sslproxycheckpeername"
        | "sslproxycheckpeercn"
        | "sslproxycheckpeerexpire" => {
            for a in &mut args {
                a.make_ascii_lowercase();
            }
            if args == ["off"]
                && matches!(
                    name.as_str(),
                    "sslengine" | "proxyrequests" | "proxypreservehost"
                )
            {
                return vec![];
            }
        }
        "redirect" | "redirectmatch" => {
            let status = match args.first().map(|a| a.to_ascii_lowercase()) {
                Some(s) if s == "permanent" => Some("301"),
                Some(s) if s == "temp" => Some("302"),
                Some(s) if s == "seeother" => Some("303"),
                Some(s) if s == "gone" => Some("410"),
                Some(s) if s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()) => None,
                _ => {
                    args.insert(0, "302".into());
                    None
                }
            };
            if let Some(s) = status {
                args[0] = s.into();
            }
        }
        "header" => {
            if args
                .first()
                .is_some_and(|a| a.eq_ignore_ascii_case("onsuccess"))
            {
                args.remove(0);
            }
            if let Some(a) = args.first_mut() {
                a.make_ascii_lowercase();
            }
            if args.first().is_some_and(|a| a == "always") {
                if let Some(a) = args.get_mut(1) {
                    a.make_ascii_lowercase();
                }
            }
        }
        "requestheader" => {
            if let Some(a) = args.first_mut() {
                a.make_ascii_lowercase();
            }
        }
        "proxypass" | "proxypassmatch" if args.len() > 2 => {
            let mut params: Vec<String> = args.split_off(2);
            for p in &mut params {
                if let Some((k, v)) = p.split_once('=') {
                    *p = format!("{}={v}", k.to_ascii_lowercase());
                }
            }
            params.sort();
            args.extend(params);
        }
        _ => {}
    }
    vec![format!(
        "{name} {}",
        crate::import::haproxy::normal::join(&args)
    )]
}

/// The canonical form of a site text, `<IfModule>` of Debian's modules taken as on
/// and `Include`s as written (what `agent diff` can compare without the host).
pub fn normal_text(path: &str, text: &str) -> Normal {
    let (nodes, _) = super::tokens::parse(path, text);
    let on = |m: &str| super::modules::standard(m);
    normal(&nodes, &Ctx { module_on: &on })
}

#[cfg(test)]
mod tests {
    use super::super::tokens::parse;
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        let on = |m: &str| m == "ssl";
        let (nodes, _) = parse("f", t);
        normal(&nodes, &Ctx { module_on: &on })
            .lines
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn same_meaning_same_form() {
        let a = "<IfModule mod_ssl.c>\n<VirtualHost *:443>\n  ServerName a\n  ServerAlias b c\n  SSLEngine On\n  ProxyRequests Off\n  Header onsuccess set X \"1\"\n  ProxyPass / http://u/ timeout=5 retry=0\n  RedirectMatch ^/x$ /y\n</VirtualHost>\n</IfModule>\n";
        let b = "<virtualhost *:443>\n    servername a\n    ProxyPass / http://u/ retry=0 timeout=5\n    ServerAlias b\n    ServerAlias c\n    sslengine on\n    Header set X 1\n    RedirectMatch 302 \"^/x$\" \"/y\"\n</virtualhost>\n";
        assert_eq!(texts(a), texts(b));
    }

    #[test]
    fn browser_match_is_set_env_if_on_the_user_agent() {
        assert_eq!(
            texts("BrowserMatch \"MSIE [2-6]\" nokeepalive\nBrowserMatchNoCase ^x y\n"),
            texts(
                "SetEnvIf user-agent \"MSIE [2-6]\" nokeepalive\nSetEnvIfNoCase User-Agent ^x y\n"
            )
        );
        assert_ne!(
            texts("BrowserMatch ^x y\n"),
            texts("SetEnvIf Referer ^x y\n")
        );
        assert_ne!(
            texts("BrowserMatch ^a y\nBrowserMatch ^b !y\n"),
            texts("BrowserMatch ^b !y\nBrowserMatch ^a y\n"),
            "a later rule overrides an earlier one"
        );
    }

    #[test]
    fn order_matters_inside_a_class_and_per_address() {
        assert_ne!(
            texts("RewriteRule a b\nRewriteCond x y\nRewriteRule c d\n"),
            texts("RewriteCond x y\nRewriteRule c d\nRewriteRule a b\n")
        );
        assert_ne!(
            texts("<VirtualHost *:80>\nServerName a\n</VirtualHost>\n<VirtualHost *:80>\nServerName b\n</VirtualHost>\n"),
            texts("<VirtualHost *:80>\nServerName b\n</VirtualHost>\n<VirtualHost *:80>\nServerName a\n</VirtualHost>\n")
        );
        assert_eq!(
            texts("<VirtualHost *:80>\nServerName a\n</VirtualHost>\n<VirtualHost *:443>\nServerName b\n</VirtualHost>\n"),
            texts("<VirtualHost *:443>\nServerName b\n</VirtualHost>\n<VirtualHost *:80>\nServerName a\n</VirtualHost>\n")
        );
        assert_ne!(
            texts("<IfModule mod_rewrite.c>\nX 1\n</IfModule>\n"),
            texts("X 1\n"),
            "rewrite is off here"
        );
    }
}
