# lib/updown.sh: `lab up`, `lab down`, `lab status` and the client files `up` writes.
# Sourced by tests/lab/lab.

# The packages the lab needs are listed once, in tests/setup (shared with CI, the test
# command and the demo); `up` runs its `lab` group, which installs whatever is missing
# (CI and fresh machines) with one progress line, and only looks when all is there.
ensure_packages() {
  local setup="$LAB_DIR/../setup"
  [ -f "$setup" ] || die "tests/setup not found next to the lab ($setup)"
  bash "$setup" lab >&2 || die "tests/setup lab failed"
}

check_state_path() {
  case "$STATE" in
    /) die "LAB_STATE must not be /" ;;
    /etc|/etc/*|/var|/var/*|/root|/root/*|/run|/run/*|/tmp|/tmp/*|/dev|/dev/*|/proc|/proc/*|/sys|/sys/*)
      die "LAB_STATE=$STATE is under a directory each lab host overlays or replaces" ;;
    /*) ;;
    *) die "LAB_STATE must be an absolute path" ;;
  esac
  if [ -d "$STATE" ] && [ ! -e "$STATE/.agent-lab" ] && [ -n "$(ls -A "$STATE")" ]; then
    die "LAB_STATE=$STATE exists, is not empty and is not a lab state directory"
  fi
}

# Keys, certificate, cluster seed and per-host identities, all generated per `up`.
prepare_state() {
  local h
  mkdir -p "$STATE/hosts" && chmod 0700 "$STATE" && touch "$STATE/.agent-lab"
  save_hosts
  ssh-keygen -q -t ed25519 -N '' -C agent-lab-client -f "$STATE/id_ed25519"
  for h in "${HOSTS[@]}"; do
    mkdir -p "$(hdir "$h")"
    ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$(hdir "$h")/hostkey" &
  done
  install -d -m 0700 "$STATE/root-skel"
  install -m 0644 /usr/share/base-files/dot.bashrc "$STATE/root-skel/.bashrc" 2>/dev/null ||
    install -m 0644 /etc/skel/.bashrc "$STATE/root-skel/.bashrc"
  install -m 0644 /usr/share/base-files/dot.profile "$STATE/root-skel/.profile" 2>/dev/null ||
    install -m 0644 /etc/skel/.profile "$STATE/root-skel/.profile"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj /CN=gw.lab -addext "subjectAltName=DNS:gw,DNS:gw.lab,IP:${IP[gw]}" \
    -keyout "$STATE/gw.key" -out "$STATE/gw.crt" 2>/dev/null || die "openssl failed"
  head -c 256 /dev/urandom >"$STATE/authkey"
  corosync_conf >"$STATE/corosync.conf"
  cibadmin --empty >"$STATE/cib-seed.xml" &&
    CIB_file="$STATE/cib-seed.xml" crm_attribute --type crm_config --name dc-deadtime --update 2s &&
    CIB_file="$STATE/cib-seed.xml" crm_attribute --type crm_config --name stonith-enabled --update false ||
    die "cannot pre-seed the CIB"
  wait
  write_client_files
}

write_client_files() {
  local h
  for h in "${HOSTS[@]}"; do
    echo "${IP[$h]},$h,$h.lab $(cut -d' ' -f1,2 "$(hdir "$h")/hostkey.pub")"
  done >"$STATE/known_hosts"
  {
    echo "# lab ssh client configuration: ssh -F $STATE/ssh_config ha1"
    for h in "${HOSTS[@]}"; do printf 'Host %s %s.lab %s\n    HostName %s\n' "$h" "$h" "${IP[$h]}" "${IP[$h]}"; done
    cat <<C
Host *
    User root
    IdentityFile $STATE/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $STATE/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    CheckHostIP no
    BatchMode yes
    ConnectTimeout 3
    LogLevel ERROR
C
  } >"$STATE/ssh_config"
  {
    echo "# agent configuration for the lab (written by tests/lab/lab up)"
    echo "stateDir: $STATE/agent-state"
    echo "ssh:"
    echo "  user: root"
    echo "  identityFile: $STATE/id_ed25519"
    echo "  knownHosts: $STATE/known_hosts"
    echo "  connectTimeout: 3s"
    echo "# DEMO / TEST-ONLY age identity (public, protects nothing): decrypts the demo's secrets"
    echo "secrets:"
    echo "  ageIdentityFile: $LAB_DIR/demo-age-key.txt"
  } >"$STATE/agent.yaml"
  {
    echo "# the lab's own facts, for tests and the demo (written by tests/lab/lab up)"
    echo "bridge: $BR"
    echo "stateDir: $STATE"
    echo "sshConfig: $STATE/ssh_config"
    echo "agentConfig: $STATE/agent.yaml"
    echo "deployAddress: $GW_ADDR"
    echo "vip: $VIP"
    echo "workerPorts: [${WORKER_PORTS// /, }]"
    echo "hosts:"
    for h in "${HOSTS[@]}"; do echo "  $h: ${IP[$h]}"; done
  } >"$STATE/lab.yaml"
}

wait_cluster() {  # both nodes online and a DC elected
  local i x
  for i in $(seq 1 300); do
    x=$(hx ha1 crm_mon -1 --output-as=xml 2>/dev/null) || x=""
    if grep -q '<current_dc present="true"' <<<"$x" && [ "$(grep -c 'online="true"' <<<"$x")" -ge 2 ]; then
      return 0
    fi
    sleep 0.2
  done
  hx ha1 crm_mon -1 >&2; die "the cluster did not form"
}

wait_http() {  # URL: any HTTP answer within 20 s
  local i
  for i in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$1")" != 000 ] && return 0
    sleep 0.1
  done
  die "no HTTP answer from $1"
}

ssh_all() {  # every host answers `hostname` over SSH with its own name
  local h pids=() rc=0
  for h in "${HOSTS[@]}"; do
    ( [ "$(ssh -F "$STATE/ssh_config" "$h" hostname 2>/dev/null)" = "$h" ] ) & pids+=($!)
  done
  for h in "${pids[@]}"; do wait "$h" || rc=1; done
  return $rc
}

lab_complete() {
  local h
  [ -f "$STATE/up.done" ] || return 1
  for h in "${HOSTS[@]}"; do host_alive "$h" || return 1; done
}

# The files the hosts run (their PID 1, the worker, the lab script for `_init`), copied
# where every host can see them (see HOST_LAB in tests/lab/lab).
install_runtime() {
  mkdir -p "$HOST_LAB/lib" || die "cannot create $HOST_LAB"
  cp -f "$LAB_DIR/lab" "$LAB_DIR/pid1.py" "$LAB_DIR/worker.py" "$LAB_DIR/probe.py" "$HOST_LAB/" &&
    cp -f "$LAB_DIR"/lib/*.sh "$HOST_LAB/lib/" || die "cannot copy the lab's files to $HOST_LAB"
}

cmd_up() {
  local workers=2 h p
  while [ $# -gt 0 ]; do
    case "$1" in
      --workers) workers=${2:-}; shift 2 ;;
      *) usage ;;
    esac
  done
  [[ $workers =~ ^[0-9]+$ ]] && [ "$workers" -ge 2 ] && [ "$workers" -le 60 ] || die "--workers must be 2..60"
  [ "$(id -u)" = 0 ] || die "the lab needs root"
  check_state_path
  load_hosts
  if lab_complete && [ "$(grep -c ' worker$' "$STATE/hosts.list")" = "$workers" ] && ssh_all; then
    log "lab already up"; echo "$STATE/agent.yaml"; return 0
  fi
  if ip link show "$BR" >/dev/null 2>&1 && [ ! -e "$STATE/.agent-lab" ] && [ -n "$(ls /sys/class/net/"$BR"/brif)" ]; then
    die "bridge $BR is in use by another lab (another LAB_STATE?)"
  fi
  if [ -e "$STATE" ] || ip link show "$BR" >/dev/null 2>&1; then log "tearing down a previous lab"; cmd_down; fi
  ensure_packages
  ip route show | grep -q "^$NET.0/24" && die "a route to $NET.0/24 exists already: $(ip route show "$NET.0/24")"
  plan_hosts "$workers"
  prepare_state
  install_runtime
  modprobe overlay 2>/dev/null || true
  ip link add "$BR" type bridge forward_delay 0 stp_state 0 || die "cannot create bridge $BR"
  sysctl -q -w "net.ipv6.conf.$BR.disable_ipv6=1" 2>/dev/null || true
  ip addr add "$GW_ADDR/24" dev "$BR" && ip link set "$BR" up || die "cannot configure bridge $BR"
  for h in "${HOSTS[@]}"; do boot_host "$h"; done
  for h in "${HOSTS[@]}"; do wait_booted "$h"; net_host "$h" || die "network setup failed on $h"; done
  log "namespaces and network ready"
  local pids=()
  for h in "${HOSTS[@]}"; do provision_host "$h" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || die "provisioning failed"; done
  log "services started; waiting for the cluster"
  wait_cluster
  log "cluster formed"
  for h in "${HOSTS[@]}"; do
    [ "${ROLE[$h]}" = worker ] || continue
    for p in $WORKER_PORTS; do wait_http "http://${IP[$h]}:$p/healthz"; done
  done
  wait_http "http://${IP[gw]}/"
  ssh_all || die "not every host answers over SSH"
  date -u +%FT%TZ >"$STATE/up.done"
  log "lab up: ssh -F $STATE/ssh_config HOST"
  echo "$STATE/agent.yaml"
}

# Our host holders, found by their exact command line: catches hosts whose state dir is gone.
stray_holders() {
  pgrep -f -- "^unshare --fork --pid .*/lab _init [^ ]+ $STATE\$"
}

cmd_down() {
  local h p n=0
  load_hosts
  if [ -d "$STATE/hosts" ]; then
    for p in "$STATE"/hosts/*/; do
      h=$(basename "$p"); host_alive "$h" && n=$((n + 1)); kill_host "$h"
    done
  fi
  for p in $(stray_holders); do kill -KILL "$p" 2>/dev/null && n=$((n + 1)); done
  [ $n -gt 0 ] && log "powered off $n host(s)"
  # The bridge goes too, unless another state directory's hosts are still plugged into it.
  if [ -e "$STATE/.agent-lab" ] || [ -z "$(ls /sys/class/net/"$BR"/brif 2>/dev/null)" ]; then
    for p in /sys/class/net/"$BR"/brif/*; do [ -e "$p" ] && ip link del "$(basename "$p")" 2>/dev/null; done
    ip link del "$BR" 2>/dev/null || true
  else
    log "left bridge $BR alone: hosts of another lab are on it"
  fi
  if [ -e "$STATE/.agent-lab" ]; then
    rm -rf "$STATE"
  elif [ -d "$STATE" ]; then
    rmdir "$STATE" 2>/dev/null || log "left $STATE alone: it is not a lab state directory"
  fi
  log "lab down"
}

cmd_status() {
  local h rc=0 s tmp
  load_hosts
  if [ ! -d "$STATE/hosts" ]; then echo "lab is down"; return 3; fi
  tmp=$(mktemp -d)
  for h in "${HOSTS[@]}"; do   # SSH checks in parallel: one slow host does not add up
    if host_alive "$h"; then
      ( if ssh -F "$STATE/ssh_config" "$h" true 2>/dev/null; then echo "on    ok"; else echo "on    FAIL"; fi >"$tmp/$h" ) &
    else
      echo "off   -" >"$tmp/$h"
    fi
  done
  wait
  printf '%-5s %-12s %-6s %s\n' HOST ADDRESS STATE SSH
  for h in "${HOSTS[@]}"; do
    s=$(cat "$tmp/$h")
    [[ $s == *" ok" ]] || rc=1
    printf '%-5s %-12s %s\n' "$h" "${IP[$h]}" "$s"
  done
  rm -rf "$tmp"
  for h in ha1 ha2; do
    if host_alive "$h"; then echo "--- cluster (crm_mon on $h)"; hx "$h" crm_mon -1 2>&1 | sed -n '/Node List/,$p'; break; fi
  done
  if [ ! -f "$STATE/up.done" ]; then echo "INCOMPLETE: the last \`lab up\` did not finish"; rc=1; fi
  echo "agent configuration: $STATE/agent.yaml"
  return $rc
}
