# lib/hosts.sh: the host table and one host's life cycle (boot, network, enter, kill).
# Sourced by tests/lab/lab; uses its globals (STATE, HOST_LAB, BR, NET, PY).

declare -a HOSTS=()
declare -A IP=() ROLE=()

# The host table: "name ip role" per line in $STATE/hosts.list once `up` has written it,
# so down/status/faults see the workers an `up --workers N` added.
plan_hosts() {  # $1 = number of workers (>= 2)
  local n=$1 i
  HOSTS=(); IP=(); ROLE=()
  add_host gw "$NET.10" gw; add_host ha1 "$NET.11" ha; add_host ha2 "$NET.12" ha
  for ((i = 1; i <= n; i++)); do add_host "w$i" "$NET.$((20 + i))" worker; done
}
add_host() { HOSTS+=("$1"); IP[$1]=$2; ROLE[$1]=$3; }
load_hosts() {
  HOSTS=(); IP=(); ROLE=()
  if [ -f "$STATE/hosts.list" ]; then
    local n a r
    while read -r n a r; do add_host "$n" "$a" "$r"; done <"$STATE/hosts.list"
  else
    plan_hosts 2
  fi
}
save_hosts() {
  local h
  for h in "${HOSTS[@]}"; do echo "$h ${IP[$h]} ${ROLE[$h]}"; done >"$STATE/hosts.list"
}
known_host() { [ -n "${IP[$1]:-}" ] || die "unknown host '$1' (hosts: ${HOSTS[*]})"; }

hdir() { echo "$STATE/hosts/$1"; }
holder_pid() { cat "$(hdir "$1")/holder.pid" 2>/dev/null; }  # the `unshare` process
init_pid() { cat "$(hdir "$1")/init.pid" 2>/dev/null; }      # the host's PID 1, root-ns PID

# True when the recorded holder PID is still a holder of this host (not a reused PID). The
# script's path is not compared: a lab started from another checkout is still this lab.
host_alive() {
  local p c; p=$(holder_pid "$1") || return 1
  [ -n "$p" ] || return 1
  c=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || return 1
  [[ $c == "unshare --fork --pid "*"/lab _init $1 $STATE " ]]
}
require_alive() { known_host "$1"; host_alive "$1" || die "host $1 is not running"; }

# Run a command in all of a host's namespaces, with a plain root environment (not the
# caller's PATH/pyenv/cargo variables), as if typed on that machine's console.
# -r -w: the host's own root and working directory. Entering a mount namespace resets
# both to the namespace's real root, so where the lab itself runs in a chroot (a fresh
# Debian root for a newcomer's check), a command without them would act on the
# machine's /etc instead of the host's.
hx() {
  local h=$1; shift
  # --wd=/: the caller's directory (a checkout under /tmp, say) does not exist inside
  # the host, and tools that return to their starting directory (haproxy -c) fail there.
  nsenter -t "$(init_pid "$h")" -a -r --wd=/ -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 USER=root LOGNAME=root "$@"
}
hsh() { local h=$1; shift; hx "$h" /bin/bash -s -- "$@"; }

# Runs as PID 1 of the host's new PID namespace (already in its new mount/net/UTS/IPC
# namespaces): private mounts, overlays, fresh tmpfs, hostname, then the reaper.
host_init() {
  local h=$1 d; STATE=$2; d=$(hdir "$h")
  local outer; read -r outer _ </proc/self/stat   # our PID as the root namespace sees it
  set -e
  mount --make-rprivate /
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t overlay "lab-$h-etc" -o "lowerdir=/etc,upperdir=$d/etc.up,workdir=$d/etc.wk" /etc
  mount -t overlay "lab-$h-var" -o "lowerdir=/var,upperdir=$d/var.up,workdir=$d/var.wk" /var
  # /root's lower layer is a clean Debian root home, not this machine's (pyenv, tokens).
  mount -t overlay "lab-$h-root" -o "lowerdir=$STATE/root-skel,upperdir=$d/root.up,workdir=$d/root.wk" /root
  mount -t tmpfs -o mode=0755,size=64m "lab-$h-run" /run
  mount -t tmpfs -o mode=1777,size=256m "lab-$h-tmp" /tmp
  mount -t tmpfs -o mode=1777,size=64m "lab-$h-shm" /dev/shm
  mkdir -p /run/lock /run/sshd /run/haproxy /run/apache2 /run/resource-agents /run/crm
  chmod 1777 /run/lock
  hostname "$h"
  echo "$outer" >"$d/init.pid"
  # The host's services start from its own root, not from the directory `lab up` ran in.
  cd /
  set +e
  exec -a "lab-init-$h" "$PY" "$LAB_DIR/pid1.py"
}

# Start a host's namespaces. Its overlay upper dirs (its "disk") are kept if they exist,
# so a powered-off host boots again with its files; `up` wipes them first.
boot_host() {
  local h=$1 d; d=$(hdir "$h")
  mkdir -p "$d"/{etc,var,root}.{up,wk} && chmod 0700 "$d/root.up"
  rm -f "$d/init.pid" "$d/off"
  # setsid: the caller's terminal signals never reach the hosts. --kill-child: when the
  # holder dies for any reason, the host's PID 1 gets SIGKILL and with it the whole PID ns.
  setsid unshare --fork --pid --mount --uts --ipc --net --propagation private \
    --kill-child=SIGKILL "$HOST_LAB/lab" _init "$h" "$STATE" </dev/null >"$d/init.log" 2>&1 &
  echo $! >"$d/holder.pid"
}
wait_booted() {
  local h=$1 d i; d=$(hdir "$h")
  for i in $(seq 1 400); do [ -s "$d/init.pid" ] && return 0; sleep 0.025; done
  cat "$d/init.log" >&2; die "host $h did not boot"
}

# veth pair: vh-<host> on the bridge, eth0 in the host; the only route is the lab subnet.
# eth0's MAC derives from the address, so a host that boots again keeps it, as a real one
# does, and its peers' ARP caches stay right (a new MAC stalled SSH for ~40 s).
net_host() {
  local h=$1 mac
  mac=$(printf '02:4c:41:42:00:%02x' "${IP[$h]##*.}")
  ip link add "vh-$h" type veth peer name eth0 address "$mac" netns "$(init_pid "$h")" || return 1
  ip link set "vh-$h" master "$BR" up || return 1
  hx "$h" /bin/sh -ec "
    sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link set lo up
    ip addr add ${IP[$h]}/24 dev eth0
    ip link set eth0 up"
}

# A PID is gone once it no longer exists or is a zombie (its namespaces are released then;
# the reaping is up to whoever inherited it).
pid_gone() {
  local st
  [ -n "$1" ] || return 0
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "${st%% *}" = Z ]
}

# Kill the host's PID 1 (the kernel then kills its whole PID namespace); the holder reaps
# it and exits. Killing PID 1 rather than the holder matters: a PID 1 orphaned by its holder
# would stay a zombie, keeping its PID namespace, until this machine's init reaps it.
kill_host() {
  local h=$1 p ip1 i
  p=$(holder_pid "$h"); ip1=$(init_pid "$h")
  if host_alive "$h"; then
    if [ -n "$ip1" ] && [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$ip1/cmdline")" == "lab-init-$h "*/pid1.py" " ]]; then
      kill -KILL "$ip1" 2>/dev/null
    else
      kill -KILL "$p" 2>/dev/null   # not booted that far: --kill-child takes PID 1 along
    fi
  fi
  for i in $(seq 1 400); do
    pid_gone "$p" && { [ -z "$ip1" ] || [ ! -e "/proc/$ip1" ]; } && break
    sleep 0.025
  done
  ip link del "vh-$h" 2>/dev/null || true   # normally gone with the netns already
}
