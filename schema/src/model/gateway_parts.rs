//! Parts of a `Gateway` beyond proxying: mod_alias mappings, mod_setenvif rules and
//! mod_macro definitions with their uses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `Alias`, `AliasMatch`, `ScriptAlias` or `ScriptAliasMatch`: a URL mapped to a
/// file-system path (a CGI directory for the `Script…` kinds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AliasRule {
    #[serde(default, skip_serializing_if = "AliasKind::is_alias")]
    pub kind: AliasKind,
    /// The URL path (`/doc/`), or a regex on it for the `…Match` kinds (`^/icons/(.*)$`).
    pub url: String,
    /// The file-system path (`/usr/share/doc/`; the `…Match` kinds may use `$1`…).
    pub to: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AliasKind {
    #[default]
    Alias,
    AliasMatch,
    ScriptAlias,
    ScriptAliasMatch,
}

impl AliasKind {
    /// The directive's name in httpd's configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            AliasKind::Alias => "Alias",
            AliasKind::AliasMatch => "AliasMatch",
            AliasKind::ScriptAlias => "ScriptAlias",
            AliasKind::ScriptAliasMatch => "ScriptAliasMatch",
        }
    }

    /// Whether `url` is a regex.
    pub fn is_match(self) -> bool {
        matches!(self, AliasKind::AliasMatch | AliasKind::ScriptAliasMatch)
    }

    fn is_alias(&self) -> bool {
        *self == AliasKind::Alias
    }
}

/// One `SetEnvIf` (`BrowserMatch` when the attribute is `User-Agent`): environment
/// variables set when a request attribute matches a regex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetEnvRule {
    /// A request header (`User-Agent`, `Referer`) or `Remote_Addr`, `Request_URI`…
    pub attribute: String,
    /// Regex on the attribute's value (`MSIE [2-6]`).
    #[serde(rename = "match")]
    pub pattern: String,
    /// Match without regard to case (`SetEnvIfNoCase`, `BrowserMatchNoCase`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nocase: bool,
    /// What to set, in order: `name` (to 1), `name=value`, or `!name` (unset).
    pub set: Vec<String>,
}

/// A mod_macro `<Macro NAME PARAM…>`: its body is kept as written, because it is
/// configuration text with the parameters (`$domain`) still in it; mod_macro
/// substitutes them where the macro is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Macro {
    /// The macro's name (case-insensitive in httpd), e.g. `VHost`.
    pub name: String,
    /// Parameter names, each starting with `$`, `%` or `@` (`$domain`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// The configuration lines between `<Macro>` and `</Macro>`, verbatim.
    pub body: String,
}

/// A mod_macro `Use NAME ARG…` line: the body of macro NAME with its parameters
/// replaced by the arguments, in this place of the site file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MacroUse {
    /// A macro of `macros`.
    #[serde(rename = "macro")]
    pub name: String,
    /// One argument per parameter of the macro, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
}
