//! Sudo wrapping of the command lines sent to hosts (quoting is [`crate::exec::sh_quote`]). The scripts
//! themselves belong to the targets (`crate::targets::files`, health checks): one
//! round trip per step, POSIX `sh` plus GNU coreutils on the host.

use crate::exec::sh_quote as quote;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_wraps_the_whole_script_once() {
        assert_eq!(wrap("id -u", false), "id -u");
        assert_eq!(
            wrap("id -u; echo 'x'", true),
            r"sudo -n -- sh -c 'id -u; echo '\''x'\'''"
        );
    }
}
