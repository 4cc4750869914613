#!/usr/bin/env bash
# Benchmark of `agent drill` in the lab (issue 14). Not a test: it measures and writes
# results, it asserts nothing.
#
#   bench/drill.sh [ROUNDS]        # default 5; needs root (the lab)
#
# Phase 1, holding the lab lock (uses the running lab when complete, else brings it up
# and tears it down at the end), after `agent apply` of sample-repo/ (workloads on the
# Kubernetes API double):
#   - the drill's table: `agent drill --disruptive` as text and Markdown;
#   - graceful standby: ROUNDS × `agent drill --checks failover --disruptive`, the
#     outage through the gateway and on the VIP directly (goal ≤ 1 s);
#   - reload: `agent drill --checks reload` with RELOAD_ROUNDS (default 6) HA-ordered
#     reload sequences under a probe every 20 ms, so ≥ 1,000 requests (goal 0 failed).
# Phase 2, the lock released (the test fixture takes it): the power-off of the VIP
# holder, ROUNDS times, measured through the drill's own probe by the lab test
# `a_power_off_of_the_vip_holder_is_measured_by_the_drill_probe`
# (DRILL_POWEROFF_ROUNDS), goal ≤ token + 2 s (token 1000 ms in the lab).
# Results: $OUT, default bench/drill-results/<UTC date>/ (table.txt, table.md, standby.csv,
# reload.json, poweroff.csv, summary.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ROUNDS=${1:-5}
RELOAD_ROUNDS=${RELOAD_ROUNDS:-6}
LAB="$ROOT/tests/lab/lab"
export LAB_STATE=${LAB_STATE:-/srv/agent-lab}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET_DIR/debug/agent"
OUT=${OUT:-"$HERE/drill-results/$(date -u +%Y-%m-%dT%H%M)"}
WORK=$(mktemp -d /tmp/agent-bench-drill.XXXXXX)
PIDS=()
BROUGHT_UP=0

log() { printf '%s %s\n' "$(date -u +%T)" "$*" >&2; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ $BROUGHT_UP == 1 ]]; then "$LAB" down >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || { echo "needs root (the lab)" >&2; exit 2; }
mkdir -p "$OUT"
log "building (debug: the drill waits on the network, not the CPU)"
(cd "$ROOT" && cargo build -q -p agent -p k8s-double --bins)

phase1() {
  exec 9>"$LAB_STATE.lock"
  log "waiting for the lab lock"; flock 9
  export LAB_LOCK_HELD=1
  if "$LAB" status >/dev/null 2>&1; then
    log "using the running lab"
  else
    log "bringing the lab up"; "$LAB" down >/dev/null 2>&1 || true
    "$LAB" up >/dev/null; BROUGHT_UP=1
  fi
  # The lab's workers are the cluster's Nodes (as RKE registered them): the nodes target labels them.
  "$TARGET_DIR/debug/agent-apiserver-double" 127.0.0.1:0 "$WORK/kubeconfig" --node w1 --node w2 >/dev/null 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [[ -s $WORK/kubeconfig ]] && break; sleep 0.05; done; sleep 0.1
  local A=("$BIN" --config "$LAB_STATE/agent.yaml")
  local K=(--kubeconfig "$WORK/kubeconfig")
  log "agent apply sample-repo"
  "${A[@]}" apply "$ROOT/sample-repo" "${K[@]}" >"$WORK/apply.log" 2>&1 || { cat "$WORK/apply.log" >&2; exit 1; }

  log "the drill's table (all checks, --disruptive)"
  "${A[@]}" drill "$ROOT/sample-repo" "${K[@]}" --disruptive >"$OUT/table.txt" 2>"$WORK/table.log" || true
  "${A[@]}" drill "$ROOT/sample-repo" "${K[@]}" --disruptive --output markdown >"$OUT/table.md" 2>/dev/null || true

  echo "round,holder,to,gateway_outage_s,gateway_failed,vip_outage_s,moved_after_s,verdict" >"$OUT/standby.csv"
  for i in $(seq "$ROUNDS"); do
    log "graceful standby $i/$ROUNDS"
    "${A[@]}" drill "$ROOT/sample-repo" --checks failover --disruptive --output json >"$WORK/fo.json" 2>/dev/null || true
    python3 - "$WORK/fo.json" "$i" >>"$OUT/standby.csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); c = r["checks"][0]; d = c.get("details") or {}
def total(s): return sum(o["end"] - o["start"] for o in (s or {}).get("outages", []) if o["start"] >= d.get("standbyAt", 0) - 0.2 and o["start"] < (d.get("onlineAt") or 1e9))
def failed(s): return sum(o["failed"] for o in (s or {}).get("outages", []) if o["start"] >= d.get("standbyAt", 0) - 0.2 and o["start"] < (d.get("onlineAt") or 1e9))
moved = (d["movedAt"] - d["standbyAt"]) if d.get("movedAt") else float("nan")
to = (d.get("placement") or [[None, "-"]])[0][1]
print(f'{sys.argv[2]},{d.get("holder","-")},{to},{total(d.get("gateway")):.3f},{failed(d.get("gateway"))},{total(d.get("vip")):.3f},{moved:.2f},{c["verdict"]}')
PY
  done

  log "reload: $RELOAD_ROUNDS rounds, probe every 20 ms"
  "${A[@]}" drill "$ROOT/sample-repo" --checks reload --reload-rounds "$RELOAD_ROUNDS" --probe-interval 20 \
    --output json >"$OUT/reload.json" 2>/dev/null || true
  kill "${PIDS[@]}" 2>/dev/null || true; PIDS=()
  if [[ $BROUGHT_UP == 1 ]]; then "$LAB" down >/dev/null 2>&1 || true; BROUGHT_UP=0; fi
  exec 9>&-
  unset LAB_LOCK_HELD
}
phase1

log "power-off of the VIP holder, $ROUNDS rounds (lab test, drill probe)"
(cd "$ROOT" && DRILL_POWEROFF_ROUNDS="$ROUNDS" cargo test -q -p agent-tests --test drill_lab \
  a_power_off_of_the_vip_holder -- --nocapture) >"$OUT/poweroff.log" 2>&1 || true
echo "round,holder,to,token_ms,gateway_outage_s,vip_outage_s,moved_after_s" >"$OUT/poweroff.csv"
sed -nE 's/.*MEASURED power-off round ([0-9]+): (ha[12]) -> (ha[12]) token Some\(([0-9]+)\) ms: gateway outage ([0-9.]+) s.*VIP outage ([0-9.]+) s, crm_mon moved after ([0-9.]+) s.*/\1,\2,\3,\4,\5,\6,\7/p' \
  "$OUT/poweroff.log" >>"$OUT/poweroff.csv"

python3 - "$OUT" <<'PY' >"$OUT/summary.md"
import csv, json, statistics, sys, os
out = sys.argv[1]
def col(f, k):
    rows = list(csv.DictReader(open(os.path.join(out, f))))
    return [float(r[k]) for r in rows if r[k] not in ("", "nan")]
def line(name, xs, goal):
    if not xs: return f"| {name} | no data | {goal} | - |"
    med, mx = statistics.median(xs), max(xs)
    return f"| {name} | median {med:.2f} s, max {mx:.2f} s ({len(xs)} runs) | {goal} |"
r = json.load(open(os.path.join(out, "reload.json")))["checks"][0]["details"]["tally"]
load = open("/proc/loadavg").read().split()[:3]
print("| measurement | result | goal |\n|---|---|---|")
print(line("graceful standby: outage through the gateway", col("standby.csv", "gateway_outage_s"), "≤ 1 s"))
print(line("graceful standby: outage on the VIP", col("standby.csv", "vip_outage_s"), "≤ 1 s"))
print(line("power-off: outage through the gateway", col("poweroff.csv", "gateway_outage_s"), "≤ token + 2 s = 3 s"))
print(line("power-off: outage on the VIP", col("poweroff.csv", "vip_outage_s"), "≤ 3 s"))
print(f"| reload (HA order, probe every 20 ms) | {r['failed']} failed of {r['requests']} requests | 0 failed of ≥ 1,000 |")
print(f"\nload average at the end: {' '.join(load)}")
PY
cat "$OUT/summary.md"
log "results in $OUT"
