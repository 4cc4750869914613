//! The balancer's health check, run on a host after its reload: when HAProxy runs
//! there, read `show stat` on its runtime socket until the first health checks have
//! settled, then require every backend to be UP. A standby node (HAProxy stopped,
//! Pacemaker starts it with the VIP) has nothing to probe: its file was validated
//! before the swap.

use crate::exec::sh_quote;
use schema::BalancerSpec;

/// The runtime socket a Balancer declares (Debian's default otherwise).
pub fn stats_socket(spec: &BalancerSpec) -> String {
    spec.global
        .stats_socket
        .as_ref()
        .map(|s| s.path.clone())
        .unwrap_or_else(|| "/run/haproxy/admin.sock".into())
}

/// Script: exit 0 when healthy (or not running), else non-zero with the reason on stderr.
pub fn balancer_script(socket: &str) -> String {
    format!(
        r#"sock={sock}
if ! {{ [ -s /run/haproxy.pid ] && kill -0 "$(cat /run/haproxy.pid)" 2>/dev/null; }}; then
  echo "standby: HAProxy not running here, file validated only"; exit 0
fi
command -v socat >/dev/null 2>&1 || {{ echo "socat is not installed: cannot read $sock" >&2; exit 2; }}
i=0
while :; do
  csv=$(echo "show stat" | socat -t 2 stdio "unix-connect:$sock" 2>/dev/null) || csv=""
  if [ -n "$csv" ] && ! printf '%s\n' "$csv" | awk -F, '$1 !~ /^#/ && $2 != "FRONTEND" && $2 != "BACKEND" && $37 ~ /INI/ {{f=1}} END {{exit !f}}'; then break; fi
  i=$((i+1)); [ $i -ge 60 ] && break; sleep 0.25
done
[ -n "$csv" ] || {{ echo "HAProxy does not answer on $sock" >&2; exit 3; }}
down=$(printf '%s\n' "$csv" | awk -F, '$2 == "BACKEND" && $18 != "UP" {{printf "%s(%s) ", $1, $18}}')
[ -z "$down" ] || {{ echo "backends not UP after reload: $down" >&2; exit 4; }}
echo "all backends UP"
"#,
        sock = sh_quote(socket)
    )
}
