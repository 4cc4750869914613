#!/usr/bin/env bash
# Page load of the central view with 1,000 history entries (issue 13: < 100 ms).
# A script to run by hand (about a minute), not a timed test.
#
#   bash bench/web/page.sh                 # builds the release binary
#   AGENT_BIN=target/release/agent ENTRIES=1000 bash bench/web/page.sh
#
# It starts `agent run` (release build) on a copy of sample-repo/ whose hosts are
# unreachable on purpose (SSH port 1: nothing is touched, lab up or not), lets it create
# <stateDir>/history.db (its own migrations), stops it, fills the history with ENTRIES
# entries like real cycles (2 applied changes with ~30-line masked diffs, 2 host steps,
# one error every 10th), starts it again and measures, with wrk (1 connection, 10 s)
# and curl: GET / (first page of history, every entry's diffs in <details>),
# GET /?page=N (the last page), GET /api/history?limit=50&items=1 and GET /history/ID.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
ENTRIES=${ENTRIES:-1000}
if [[ -z ${AGENT_BIN:-} ]]; then
  (cd "$REPO" && cargo build --release -q -p agent --bin agent)
  AGENT_BIN="$REPO/target/release/agent"
fi
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 3; }
work=$(mktemp -d -t agent-web-bench.XXXXXX)
pid=""
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cp -r "$REPO/sample-repo" "$work/repo"
sed -i 's/port: 22/port: 1/' "$work/repo/inventory.yaml"
git -C "$work/repo" init -q -b main
git -C "$work/repo" -c user.name=bench -c user.email=b@agent add -A
git -C "$work/repo" -c user.name=bench -c user.email=b@agent -c commit.gpgsign=false commit -qm bench
: > "$work/known_hosts"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/agent.yaml" <<YAML
repo: {url: 'file://$work/repo', branch: main}
interval: 1h
ssh: {connectTimeout: 1s, knownHosts: known_hosts}
stateDir: state
listen: 127.0.0.1:$port
secrets: {ageIdentityFile: '$REPO/tests/lab/demo-age-key.txt'}
history: {maxEntries: 100000}
YAML
start() {
  "$AGENT_BIN" run --config "$work/agent.yaml" >"$work/agent.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf -m 1 "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "bench: agent run did not come up" >&2; cat "$work/agent.log" >&2; exit 3
}
start
for _ in $(seq 100); do [[ -s $work/state/history.db ]] && break; sleep 0.1; done
sleep 2; kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

python3 - "$work/state/history.db" "$ENTRIES" <<'PY'
import json, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
diff = "--- live\n+++ desired\n@@ -40,12 +40,12 @@\n" + "".join(
    f"     server w{i} 10.77.0.2{i}:30080 check cookie w{i}\n" for i in range(8)) + \
    "-    timeout client 99s\n+    timeout client 50s\n-    stats auth admin:***0a1b2c3d\n+    stats auth admin:***4e5f6a7b\n" + \
    "".join(f"     option httpchk GET /healthz{i}\n" for i in range(12))
now = int(time.time() * 1000) - n * 5000
for k in range(n):
    t = now + k * 5000
    cur = c.execute("INSERT INTO cycles (started_ms, finished_ms, state, source, cause, commit_id, pid, targets, duration_ms, applied, drift, errors, repeats) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (t, t + 900, "finished", "run", ["commit", "drift", "webhook"][k % 3], f"{k:040x}", 1, "balancer,cluster,gateway,workloads", 900, 2, 0, int(k % 10 == 0), 1))
    cid = cur.lastrowid
    items = [("applied", "balancer", h, "/etc/haproxy/haproxy.cfg", "update", diff, "[]", "") for h in ("ha1", "ha2")]
    items += [("step", "balancer", h, "/etc/haproxy/haproxy.cfg", "applied", None, '["reload"]', "swapped, reloaded, all backends UP") for h in ("ha1", "ha2")]
    if k % 10 == 0:
        items.append(("error", "gateway", "gw", "", "unreachable", None, "[]", "gw: ssh: connect to host 10.77.0.10 port 22: Connection refused"))
    c.executemany("INSERT INTO items (cycle_id, ord, kind, target, host, object, action, diff, notes, message) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(cid, i) + it for i, it in enumerate(items)])
c.commit()
print(f"history: {c.execute('SELECT COUNT(*) FROM cycles').fetchone()[0]} entries, {c.execute('SELECT COUNT(*) FROM items').fetchone()[0]} items")
PY
start
sleep 2
last=$(( (ENTRIES + 19) / 20 ))
id=$(( ENTRIES / 2 ))
echo "agent: $("$AGENT_BIN" version) ($AGENT_BIN), load $(cut -d' ' -f1-3 /proc/loadavg)"
for path in "/" "/?page=$last" "/api/history?limit=50&items=1" "/history/$id"; do
  url="http://127.0.0.1:$port$path"
  size=$(curl -s -o /dev/null -w '%{size_download}' "$url")
  times=$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done | sort -n)
  median=$(echo "$times" | sed -n 10p)
  echo "== GET $path ($size bytes): curl median of 20 ${median}s"
  wrk -t1 -c1 -d10s --latency "$url" | grep -E "Latency|50%|90%|99%|Requests/sec"
done
