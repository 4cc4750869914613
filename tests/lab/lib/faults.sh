# lib/faults.sh: fault injection for availability tests, and undoing it.
# Sourced by tests/lab/lab. Every kill happens inside the host's own PID namespace, so a
# name only ever matches that host's processes.

cmd_poweroff() {
  load_hosts; require_alive "$1"
  kill_host "$1"
  touch "$(hdir "$1")/off"
  log "$1 powered off"
}

# The cable, not the interface: the bridge side of the veth goes down, so the host keeps its
# addresses and routes but loses carrier, like a pulled cable or a dead switch port.
cmd_link() {
  load_hosts; require_alive "$1"
  case "$2" in
    down|up) ip link set "vh-$1" "$2" || die "cannot set link of $1 $2" ;;
    *) usage ;;
  esac
  log "$1 link $2"
}

cmd_kill() {
  local h=$1 svc=$2 rc
  load_hosts; require_alive "$h"
  case "$svc" in
    haproxy|apache2|corosync|sshd) hx "$h" pkill -KILL -x "$svc"; rc=$? ;;
    pacemaker) hx "$h" pkill -KILL -x pacemakerd; rc=$?; hx "$h" pkill -KILL '^pacemaker-' ;;
    worker) hx "$h" /bin/sh -c 'kill -KILL "$(cat /run/lab-worker.pid 2>/dev/null)" 2>/dev/null'; rc=$? ;;
    *) usage ;;
  esac
  [ "$rc" = 0 ] || die "$svc is not running on $h"
  log "$svc killed on $h"
}

# Undo faults: boot the host if it is off (its files survive, /run and /tmp are fresh),
# reconnect its cable, restart its base services (or only SERVICE).
cmd_restore() {
  local h=$1 svc=${2:-} i
  load_hosts; known_host "$h"
  if ! host_alive "$h"; then
    boot_host "$h"; wait_booted "$h"
    net_host "$h" || die "network setup failed on $h"
    # A reboot: the disk is as it was (whatever the agent wrote stays), only the runtime
    # state comes back: sysctl settings from /etc/sysctl.d, then the services.
    hx "$h" /bin/sh -c 'for f in /etc/sysctl.d/90-lab-*.conf; do [ -e "$f" ] && sysctl -q -p "$f"; done; true'
    ensure_services "$h"
    for i in $(seq 1 100); do
      [ "$(ssh -F "$STATE/ssh_config" "$h" hostname 2>/dev/null)" = "$h" ] && break; sleep 0.1
    done
    log "$h booted"
    return 0
  fi
  ip link set "vh-$h" up
  case "$svc" in
    "") ensure_services "$h" ;;
    haproxy) hx "$h" /etc/init.d/haproxy start >/dev/null || die "haproxy did not start on $h" ;;
    apache2|sshd|corosync|pacemaker|worker) "ensure_$svc" "$h" || die "$svc did not start on $h" ;;
    *) usage ;;
  esac
  log "$h restored${svc:+ ($svc)}"
}

# Load through the lab with wrk (keep-alive connections, unlike the probe): its summary
# counts requests, socket errors and non-2xx/3xx answers.
cmd_load() {
  local url=${1:-} dur=${2:-} conns=8
  [ -n "$url" ] && [ -n "$dur" ] || usage
  shift 2
  case "${1:-}" in --connections) conns=${2:-}; shift 2 ;; "") ;; *) usage ;; esac
  [[ $conns =~ ^[0-9]+$ ]] && [ "$conns" -ge 2 ] || die "--connections must be a number >= 2"
  command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk; lab up installs it)"
  exec wrk -t2 -c"$conns" -d"${dur}s" --timeout 2s "$url"
}
