#!/usr/bin/env bash
# The `agent` case of the peers' tool.sh (installed into the work copy by run.sh).
#   agent-case.sh apply|check|render-dir DIR
# Generates, from .fleet/hosts.tsv, a desired-state repo reproducing the peers'
# template (one Balancer per host; Inventory overrides put the file under the host's
# root, check it with `haproxy -c -f {file}` and "reload" with `touch <root>/reloaded`)
# and an agent config (the fleet's key and known_hosts). It is regenerated only when
# hosts.tsv or this script changed, so a timed run normally only runs the agent.
#   BENCH_TOOL=agent-warm: persistent SSH masters (ssh.persist) in .fleet/cp-agent/,
#   reused across runs; otherwise (agent, cold) the default: masters die with the agent.
#   BENCH_TOOL=agent-service: `agent diff --via-service` against an `agent run` started
#   once (policy observe: it never writes; interval 1h: it does not cycle meanwhile) on a
#   Git copy of the generated repo. The service keeps its SSH masters as its own
#   children, as `agent run` does (no ssh.persist: nothing in .fleet/cp*, so the
#   harness's close-masters before each run does not reach them); apply runs as
#   agent-warm. The service stops by itself after 30 minutes,
#   and run.sh stops it at the end (.fleet/agent-service.pid).
#   All use kexAlgorithms curve25519-sha256.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$HERE/.fleet"
AGENT_BIN=${AGENT_BIN:?AGENT_BIN must point at the agent binary}
MODE=${1:?usage: agent-case.sh apply|check|render-dir DIR}
GEN="$STATE/agent"

generate() {
  rm -rf "$GEN.tmp"; mkdir -p "$GEN.tmp/repo"
  {
    echo "apiVersion: agent/v1"
    echo "kind: Inventory"
    echo "metadata: {name: fleet}"
    echo "spec:"
    echo "  defaults: {user: root}"
    echo "  hosts:"
    while IFS=$'\t' read -r name ip port root be; do
      echo "    - name: $name"
      echo "      address: $ip"
      echo "      port: $port"
      echo "      roles: [balancer]"
      echo "      overrides:"
      echo "        haproxyConfig: $root/etc/haproxy/haproxy.cfg"
      echo "        haproxyCheck: haproxy -c -f {file}"
      echo "        haproxyReload: touch $root/reloaded"
    done < "$STATE/hosts.tsv"
  } > "$GEN.tmp/repo/inventory.yaml"
  while IFS=$'\t' read -r name ip port root be; do
    i=${name#h}; fport=$(( 8000 + i ))
    {
      echo "apiVersion: agent/v1"
      echo "kind: Balancer"
      echo "metadata: {name: $name}"
      echo "spec:"
      echo "  hosts: [$name]"
      echo "  global: {maxconn: 4096, log: [\"stdout format raw local0\"], daemon: false}"
      echo "  defaults:"
      echo "    mode: http"
      echo "    log: global"
      echo "    timeouts: {connect: 5s, client: 30s, server: 30s}"
      echo "  frontends:"
      echo "    - {name: fe_main, binds: [\"127.0.3.1:$fport\"], defaultBackend: be_app}"
      echo "  backends:"
      echo "    - name: be_app"
      echo "      balance: roundrobin"
      echo "      healthCheck: {path: /health, method: GET}"
      echo "      serverDefaults: {check: true}"
      echo "      servers:"
      IFS=, read -ra arr <<< "$be"
      for b in "${arr[@]}"; do
        IFS=: read -r n a p <<< "$b"
        echo "        - {name: $n, address: $a, port: $p}"
      done
      echo "  stats: {binds: [\"127.0.3.1:$(( fport + 1000 ))\"], uri: /stats, refresh: 10s}"
    } > "$GEN.tmp/repo/$name.yaml"
  done < "$STATE/hosts.tsv"
  for v in cold warm service; do
    {
      echo "ssh:"
      echo "  identityFile: $STATE/lab_key"
      echo "  knownHosts: $STATE/known_hosts"
      echo "  user: root"
      echo "  kexAlgorithms: curve25519-sha256"
      if [[ $v == warm ]]; then
        echo "  persist: 60s"
        echo "  controlDir: $STATE/cp-agent"
      fi
      echo "stateDir: $STATE/agent-state-$v"
      if [[ $v == service ]]; then
        echo "repo: {url: 'file://$GEN/git', branch: main, path: .}"
        echo "interval: 1h"
        echo "listen: 127.0.0.1:19440"
        echo "policies: {gateway: observe, balancer: observe, cluster: observe, workloads: observe}"
      fi
    } > "$GEN.tmp/agent-$v.yaml"
  done
  # The service reads a Git repository: the generated one, committed.
  cp -r "$GEN.tmp/repo" "$GEN.tmp/git"
  git -C "$GEN.tmp/git" init -q -b main
  git -C "$GEN.tmp/git" -c user.name=bench -c user.email=bench@agent add -A
  git -C "$GEN.tmp/git" -c user.name=bench -c user.email=bench@agent -c commit.gpgsign=false commit -qm fleet
  [[ -f $STATE/agent-service.pid ]] && kill "$(cat "$STATE/agent-service.pid")" 2>/dev/null || true
  rm -f "$STATE/agent-service.pid"
  cp "$STATE/hosts.tsv" "$GEN.tmp/hosts.tsv"
  cp "$HERE/agent-case.sh" "$GEN.tmp/agent-case.sh"
  rm -rf "$GEN"; mv "$GEN.tmp" "$GEN"
}

# Regenerated when the fleet or this script changed (a stale config would measure the old case).
{ cmp -s "$STATE/hosts.tsv" "$GEN/hosts.tsv" && cmp -s "$HERE/agent-case.sh" "$GEN/agent-case.sh"; } 2>/dev/null || generate
cfg="$GEN/agent-cold.yaml"
case ${BENCH_TOOL:-agent} in agent-warm|agent-service) cfg="$GEN/agent-warm.yaml" ;; esac

# agent-service: the running service, started on first use; it answers once its first
# cycle (observe only) has accepted the commit.
service() {
  local pidf="$STATE/agent-service.pid"
  if [[ -f $pidf ]] && kill -0 "$(cat "$pidf")" 2>/dev/null; then return; fi
  rm -rf "$STATE/agent-state-service"
  timeout 1800 "$AGENT_BIN" --config "$GEN/agent-service.yaml" run \
    >"$STATE/agent-service.log" 2>&1 < /dev/null &
  echo $! > "$pidf"
  for _ in $(seq 300); do
    curl -sf -m 1 http://127.0.0.1:19440/status | grep -q '"lastCycle": {' && return
    sleep 0.2
  done
  echo "agent-service: the service did not come up" >&2; cat "$STATE/agent-service.log" >&2; exit 3
}

# The soft open-file limit a systemd service gets by default (1024): the agent raises it
# to the hard limit itself, which is what lets it reach a few hundred hosts at once.
ulimit -Sn "${AGENT_NOFILE_SOFT:-1024}" 2>/dev/null || true

case $MODE in
  apply) exec "$AGENT_BIN" --config "$cfg" apply "$GEN/repo" --target balancer ;;
  check)
    # exit 1 = differences found: a successful drift check for the harness
    rc=0
    if [[ ${BENCH_TOOL:-} == agent-service ]]; then
      service
      "$AGENT_BIN" --config "$GEN/agent-service.yaml" diff --via-service --target balancer || rc=$?
    else
      "$AGENT_BIN" --config "$cfg" diff "$GEN/repo" --target balancer || rc=$?
    fi
    (( rc == 0 || rc == 1 )) || exit "$rc"
    exit 0 ;;
  render-dir)  # the agent's own render of every host's file, one file per host in DIR
    out=${2:?DIR}; mkdir -p "$out"
    "$AGENT_BIN" render "$GEN/repo" --output json |
      python3 -c 'import json,sys,os
d=sys.argv[1]
for f in json.load(sys.stdin)["files"]:
    open(os.path.join(d, f["host"]), "w").write(f["content"])' "$out" ;;
  *) echo "usage: agent-case.sh apply|check|render-dir DIR" >&2; exit 2 ;;
esac
