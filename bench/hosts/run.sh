#!/usr/bin/env bash
# Side-by-side benchmark of `agent diff`/`agent apply` against Ansible, pyinfra and
# plain parallel ssh on a loopback sshd fleet, in ONE run-bench.sh invocation.
# A script to run by hand (takes minutes), not a timed test.
#
#   bash bench/hosts/run.sh                          # NS="1 10 50", TOOLS=default below
#   NS=50 TOOLS="agent agent-warm ansible-tuned" bash bench/hosts/run.sh
#   PEERS_DIR=/path/to/peers WORK_DIR=/srv/agent-bench/peers bash bench/hosts/run.sh
#
# It copies the peers' harness (bench/peers: the side-by-side harness of Ansible,
# pyinfra and plain parallel ssh this project measures itself against, kept in the
# repository so a clean clone runs it) to WORK_DIR without results/ and venv/, installs the `agent` case (agent-case.sh) into its tool.sh,
# makes its state.sh verify compare against the agent's own render when the tool is
# the agent, builds the release binary, runs run-bench.sh and prints the ratios.
# Environment: NS, TOOLS, RUNS_SCALE, OUT (as run-bench.sh), AGENT_BIN (skip the
# build), VENV (an existing venv with ansible-core and pyinfra, linked instead of
# creating one), BENCH_RUNS (runs per measurement for every tool, e.g. 1).
# The smallest run (CI): NS=1 TOOLS="baseline agent" BENCH_RUNS=1 AGENT_BIN=target/debug/agent
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

PEERS_DIR=${PEERS_DIR:-$REPO/bench/peers}
[[ -x ${PEERS_DIR:-}/run-bench.sh ]] || { echo "bench: peers harness not found; set PEERS_DIR" >&2; exit 3; }
WORK_DIR=${WORK_DIR:-/srv/agent-bench/peers}
export NS=${NS:-"1 10 50"}
export TOOLS=${TOOLS:-"baseline baseline-warm baseline-c25519 pyinfra agent agent-warm ansible-tuned"}

if [[ -z ${AGENT_BIN:-} ]]; then
  (cd "$REPO" && cargo build --release -p agent --bin agent)
  AGENT_BIN="$REPO/target/release/agent"
fi
export AGENT_BIN=$(readlink -f "$AGENT_BIN")

# Fresh copy of the harness (keep the venv and .fleet keys of an earlier copy).
mkdir -p "$WORK_DIR"
chmod -R u+w "$WORK_DIR"
(cd "$PEERS_DIR" && tar cf - --exclude=./results --exclude=./venv --exclude=./.fleet .) | (cd "$WORK_DIR" && tar xf -)
chmod -R u+w "$WORK_DIR"
[[ -n ${VENV:-} && ! -e $WORK_DIR/venv ]] && ln -s "$(readlink -f "$VENV")" "$WORK_DIR/venv"
cp "$HERE/agent-case.sh" "$WORK_DIR/agent-case.sh"
cd "$WORK_DIR"

# tool.sh: the agent case (run-bench.sh strips -warm; BENCH_TOOL says which).
python3 - <<'PY'
import re
p = "tool.sh"; s = open(p).read()
case = '''  agent|agent-service)  # the Rust agent (bench/hosts/agent-case.sh); BENCH_TOOL=agent-warm keeps masters
    exec "$HERE/agent-case.sh" "$MODE"
    ;;
  *) echo "unknown tool'''
s = s.replace('  *) echo "unknown tool', case, 1)
open(p, "w").write(s)
# run-bench.sh: export the tool name for tool.sh and state.sh; agent drift-demo pattern.
p = "run-bench.sh"; s = open(p).read()
s = s.replace('    tool=${t%-warm}\n', '    tool=${t%-warm}; export BENCH_TOOL=$t\n', 1)
s = s.replace("        pyinfra) pat='\\[%s\\] +Will';;\n",
              "        pyinfra) pat='\\[%s\\] +Will';;\n        agent|agent-service) pat='^%s$';;\n", 1)
s = s.replace('ORDER = ', 'ORDER = ', 1)
# BENCH_RUNS: one number of runs for every tool (the smallest run uses 1).
s = s.replace('  echo $(( r * RUNS_SCALE ))\n', '  echo ${BENCH_RUNS:-$(( r * RUNS_SCALE ))}\n', 1)
open(p, "w").write(s)
p = "summarize.py"; s = open(p).read()
s = s.replace('ORDER = ["baseline-warm",', 'ORDER = ["agent-service", "agent-warm", "agent", "baseline-warm",', 1)
open(p, "w").write(s)
# state.sh verify: for the agent, compare with the agent's own render.
p = "state.sh"; s = open(p).read()
s = s.replace('''    want=${2:?changed|unchanged|stale}; bad=0; n=0
''', '''    want=${2:?changed|unchanged|stale}; bad=0; n=0
    agent_render=""
    if [[ ${BENCH_TOOL:-} == agent* ]]; then   # the agent's own render, not render.sh's
      agent_render=$(mktemp -d); trap 'rm -rf "$agent_render"' EXIT
      bash "$HERE/agent-case.sh" render-dir "$agent_render"
    fi
''', 1)
s = s.replace('''      cmp -s "$f" <(render_haproxy "$name" "$be") ||''', '''      if [[ -n $agent_render ]]; then
        if compgen -G "$root/etc/haproxy/.haproxy.cfg.agent-*" >/dev/null || [[ -e $f.agent-pending ]]; then
          echo "$name: agent temp file left" >&2; bad=$((bad + 1)); fi
      fi
      cmp -s "$f" <(if [[ -n $agent_render ]]; then cat "$agent_render/$name"; else render_haproxy "$name" "$be"; fi) ||''', 1)
open(p, "w").write(s)
PY
grep -q 'agent-case.sh' tool.sh && grep -q BENCH_TOOL run-bench.sh && grep -q BENCH_RUNS run-bench.sh &&
  grep -q agent_render state.sh ||
  { echo "bench: patching the peers' scripts failed (harness changed?)" >&2; exit 3; }

export OUT=${OUT:-results/$(date -u +%Y%m%dT%H%M%SZ)}
echo "bench: work dir $WORK_DIR, out $OUT, NS=$NS TOOLS=$TOOLS, load $(cut -d' ' -f1-3 /proc/loadavg)"
stop_service() { [[ -f .fleet/agent-service.pid ]] && kill "$(cat .fleet/agent-service.pid)" 2>/dev/null; rm -f .fleet/agent-service.pid; }
trap stop_service EXIT
bash run-bench.sh
stop_service
{ echo "agent: $("$AGENT_BIN" --version 2>&1 | head -1) ($AGENT_BIN, commit $(git -C "$REPO" rev-parse --short HEAD))"; } >> "$OUT/versions.txt"
python3 "$HERE/ratios.py" "$OUT" | tee "$OUT/ratios.md"
echo "bench: results in $WORK_DIR/$OUT"
