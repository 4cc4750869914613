#!/usr/bin/env bash
# Benchmark of `agent run` in the lab (issue 7): commit → converged latency and the wall
# time of a no-change cycle. Not a test: it measures and writes results, it asserts nothing.
#
#   bench/run/converge.sh [COMMITS]        # default 20; needs root (the lab)
#   PROFILE=debug IDLE_S=5 OUT=/tmp/x bench/run/converge.sh 2   # the smallest run (CI)
#
# - Uses the running lab when it is complete with a spare worker w3, else brings one up
#   (`lab up --workers 3`) and tears it down at the end. Holds the lab lock meanwhile.
# - Git server: a bare repo on w3 (not in the sample inventory), pushed to over ssh:// with
#   the lab's root key and pinned known_hosts; `agent run` follows it with interval 5s.
# - Each commit sets HAProxy's `timeout client` to a new value (visible in haproxy.cfg on
#   ha1 and ha2) the way a user edits the file: balancer/haproxy.yaml is SOPS-encrypted
#   (its stats password), so with `sops set` and the demo key, which re-computes the
#   file's MAC (a sed edit breaks it and every commit is refused); then it is pushed, and "converged" is the first 100 ms poll at which both
#   balancers' haproxy.cfg hold it (read from the hosts' disks: their /etc overlay upper
#   dirs). Latency = converged − push returned. Between commits a uniform 0–INTERVAL
#   pause, so pushes land at every phase of the poll cycle. The agent runs with `-v`
#   (INFO, as the systemd unit does); its JSON log is kept with the results.
# - Idle phase (IDLE_S, default 40 s): no-change cycles sampled from /status
#   (lastCycle.durationMs), the histogram's mean over the window, and the agent's RSS.
# Results: bench/run/results/<UTC date>/ (latencies.csv, idle-cycles.csv, summary.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
N=${1:-20}
INTERVAL=${INTERVAL:-5}
IDLE_S=${IDLE_S:-40}
LAB="$ROOT/tests/lab/lab"
export LAB_STATE=${LAB_STATE:-/srv/agent-lab}
PROFILE=${PROFILE:-release}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET_DIR/$PROFILE/agent"
BARE=/var/lib/git/platform.git
OUT=${OUT:-"$HERE/results/$(date -u +%Y-%m-%dT%H%M)"}
WORK=$(mktemp -d /tmp/agent-bench-run.XXXXXX)
PIDS=()
BROUGHT_UP=0

log() { printf '%s %s\n' "$(date -u +%T)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ $BROUGHT_UP == 1 ]]; then "$LAB" down >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || { echo "needs root (the lab)" >&2; exit 2; }
command -v sops >/dev/null || { echo "sops is missing (bash tests/setup installs it)" >&2; exit 2; }
export SOPS_DISABLE_VERSION_CHECK=1 SOPS_AGE_KEY_FILE="$ROOT/tests/lab/demo-age-key.txt"
log "building ($PROFILE)"
REL=(); [[ $PROFILE == release ]] && REL=(--release)
(cd "$ROOT" && cargo build -q "${REL[@]}" -p agent -p k8s-double --bins)

# The lab lock for the whole run; the lab script then skips taking it.
exec 9>"$LAB_STATE.lock"
log "waiting for the lab lock"; flock 9
export LAB_LOCK_HELD=1
if "$LAB" status >/dev/null 2>&1 && grep -q '^w3\b' "$LAB_STATE/hosts.list"; then
  log "using the running lab"
else
  log "bringing the lab up (3 workers)"; "$LAB" down >/dev/null 2>&1 || true
  "$LAB" up --workers 3 >/dev/null; BROUGHT_UP=1
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# Git server on w3, seeded from a local clone of sample-repo/.
"$LAB" exec w3 /bin/sh -c "rm -rf $BARE && mkdir -p $BARE && git init -q --bare -b main $BARE"
export GIT_SSH_COMMAND="ssh -i $LAB_STATE/id_ed25519 -o UserKnownHostsFile=$LAB_STATE/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes"
REPO="$WORK/repo"; cp -a "$ROOT/sample-repo" "$REPO"
g() { git -C "$REPO" -c user.name=bench -c user.email=bench@agent.lab -c commit.gpgsign=false "$@"; }
g init -q -b main; g add -A; g commit -qm "sample-repo as shipped"
g remote add origin "ssh://root@10.77.0.23$BARE"; g push -q origin main

# The Kubernetes API double (the sample declares workloads).
"$TARGET_DIR/$PROFILE/agent-apiserver-double" 127.0.0.1:0 "$WORK/kubeconfig" --node w1 --node w2 --node w3 >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $WORK/kubeconfig ]] && break; sleep 0.05; done; sleep 0.1

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/agent.yaml" <<YAML
repo: {url: "ssh://root@10.77.0.23$BARE", branch: main, path: ., timeout: 5s}
interval: ${INTERVAL}s
ssh: {user: root, identityFile: $LAB_STATE/id_ed25519, knownHosts: $LAB_STATE/known_hosts, connectTimeout: 3s}
secrets: {ageIdentityFile: $ROOT/tests/lab/demo-age-key.txt}
kubeconfig: $WORK/kubeconfig
stateDir: $WORK/state
listen: 127.0.0.1:$PORT
YAML
"$BIN" run -v --log-format json --config "$WORK/agent.yaml" >"$WORK/agent.log" 2>&1 &
AGENT=$!; PIDS+=($AGENT)
status() { curl -sf -m 2 "http://127.0.0.1:$PORT/status"; }
jget() { python3 -c "import json,sys; v=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
head0=$(g rev-parse HEAD)
log "waiting for the first convergence ($head0)"
for _ in $(seq 600); do
  [[ $(status 2>/dev/null | jget 'v.get("commitApplied")' 2>/dev/null) == "$head0" ]] && break; sleep 0.2
done
[[ $(status | jget 'v.get("commitApplied")') == "$head0" ]] || { tail -20 "$WORK/agent.log"; exit 1; }

cfg() { echo "$LAB_STATE/hosts/$1/etc.up/haproxy/haproxy.cfg"; }
mkdir -p "$OUT"
echo "commit,value,pushed_ms,converged_ms,latency_ms" > "$OUT/latencies.csv"
for i in $(seq 1 "$N"); do
  v=$(( 100 + i ))
  # From the repo's top: sops reads its .sops.yaml there (the two-space indentation).
  (cd "$REPO" && sops set balancer/haproxy.yaml '["spec"]["defaults"]["timeouts"]["client"]' "\"${v}s\"")
  grep -Eq "^ +client: ${v}s$" "$REPO/balancer/haproxy.yaml" || { log "sops set did not write client: ${v}s"; exit 1; }
  g commit -qam "bench: timeout client ${v}s"
  sleep "$(python3 -c "import random; print(round(random.uniform(0, $INTERVAL), 3))")"
  g push -q origin main
  pushed=$(now_ms)
  until grep -q "timeout client ${v}s" "$(cfg ha1)" 2>/dev/null && grep -q "timeout client ${v}s" "$(cfg ha2)" 2>/dev/null; do
    (( $(now_ms) - pushed < 120000 )) || { log "commit $i never converged"; tail -20 "$WORK/agent.log"; exit 1; }
    sleep 0.1
  done
  conv=$(now_ms)
  echo "$(g rev-parse --short HEAD),$v,$pushed,$conv,$(( conv - pushed ))" >> "$OUT/latencies.csv"
  log "commit $i/$N: $(( conv - pushed )) ms"
done

log "idle for ${IDLE_S}s: sampling no-change cycles"
metric() { curl -sf -m 2 "http://127.0.0.1:$PORT/metrics" | awk -v k="$1" '$1==k {print $2}'; }
sleep $(( INTERVAL + 2 ))   # let the last commit's cycle and one sweep pass
s0=$(metric agent_cycle_duration_seconds_sum); c0=$(metric agent_cycle_duration_seconds_count)
echo "at,duration_ms,applied,drift,errors" > "$OUT/idle-cycles.csv"
end=$(( $(date +%s) + IDLE_S ))
last=
while (( $(date +%s) < end )); do
  row=$(status | jget '",".join(str(v["lastCycle"][k]) for k in ("at","durationMs","applied","drift","errors"))' || true)
  [[ -n $row && $row != "$last" ]] && echo "$row" >> "$OUT/idle-cycles.csv"
  last=$row
  sleep 1
done
s1=$(metric agent_cycle_duration_seconds_sum); c1=$(metric agent_cycle_duration_seconds_count)
RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT/status")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$AGENT"; wait "$AGENT" || true

python3 - "$OUT" "$INTERVAL" "$s0" "$c0" "$s1" "$c1" "$RSS_KB" "$LOAD_BEFORE" "$LOAD_AFTER" "$PROFILE" <<'PY' | tee "$OUT/summary.md"
import csv, math, sys
out, interval, s0, c0, s1, c1, rss, lb, la, profile = sys.argv[1:]
lat = sorted(int(r["latency_ms"]) for r in csv.DictReader(open(f"{out}/latencies.csv")))
def pct(xs, p): return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]
idle = {}
for r in csv.DictReader(open(f"{out}/idle-cycles.csv")):
    if r["applied"] == "0" and r["errors"] == "0": idle[r["at"]] = int(r["duration_ms"])
cyc = sorted(idle.values())
goal = float(interval) / 2 + 3
print(f"# agent run: commit → converged on ha1 and ha2 ({profile} build)\n")
print(f"- commits: {len(lat)}, interval {interval} s (jitter default: interval/10)")
print(f"- latency (converged − pushed): p50 {pct(lat,50)/1000:.2f} s, p95 {pct(lat,95)/1000:.2f} s, max {lat[-1]/1000:.2f} s, min {lat[0]/1000:.2f} s")
print(f"- goal p50 ≤ interval/2 + 3 s = {goal:.1f} s: {'met' if pct(lat,50)/1000 <= goal else 'NOT met'}")
if cyc:
    print(f"- no-change cycles sampled from /status: {len(cyc)}, median {pct(cyc,50)} ms, max {cyc[-1]} ms (target ≤ 300 ms)")
dc = float(c1) - float(c0)
if dc > 0:
    print(f"- histogram over the idle window: {int(dc)} cycles, mean {1000*(float(s1)-float(s0))/dc:.0f} ms")
print(f"- idle RSS: {int(rss)/1024:.1f} MiB (target ≤ 30 MiB)")
print(f"- load average before / after: {lb} / {la}; cores: {__import__('os').cpu_count()}")
PY
{ uname -srm; "$BIN" --version 2>/dev/null || true; haproxy -v | head -1; git --version; } > "$OUT/versions.txt"
cp "$WORK/agent.log" "$OUT/agent.log.json"   # -v: one line per change applied, per cycle event
log "results in $OUT"
