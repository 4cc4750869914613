#!/usr/bin/env bash
# The `agent` case of the peers' tool.sh (installed into the work copy by run.sh).
#   agent-case.sh apply|check|render-dir DIR
# Generates, from .fleet/hosts.tsv, a desired-state repo reproducing the peers'
# template (one Balancer per host; Inventory overrides put the file under the host's
# root, check it with `haproxy -c -f {file}` and "reload" with `touch <root>/reloaded`)
# and an agent config (the fleet's key and known_hosts). It is regenerated only when
# hosts.tsv changed, so a timed run normally only runs the agent.
#   BENCH_TOOL=agent-warm: persistent SSH masters (ssh.persist) in .fleet/cp-agent/,
#   reused across runs; otherwise (agent, cold) the default: masters die with the agent.
#   Both use kexAlgorithms curve25519-sha256.
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
  for v in cold warm; do
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
      echo "stateDir: $STATE/agent-state"
    } > "$GEN.tmp/agent-$v.yaml"
  done
  cp "$STATE/hosts.tsv" "$GEN.tmp/hosts.tsv"
  rm -rf "$GEN"; mv "$GEN.tmp" "$GEN"
}

cmp -s "$STATE/hosts.tsv" "$GEN/hosts.tsv" 2>/dev/null || generate
cfg="$GEN/agent-cold.yaml"; [[ ${BENCH_TOOL:-agent} == agent-warm ]] && cfg="$GEN/agent-warm.yaml"

case $MODE in
  apply) exec "$AGENT_BIN" --config "$cfg" apply "$GEN/repo" --target balancer ;;
  check)
    # exit 1 = differences found: a successful drift check for the harness
    rc=0; "$AGENT_BIN" --config "$cfg" diff "$GEN/repo" --target balancer || rc=$?
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
