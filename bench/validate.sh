#!/usr/bin/env bash
# Benchmark: `agent validate sample-repo` (the PR check) with a release build.
# Prints hyperfine's table and the median, and exits non-zero when the median misses
# the 50 ms target (issue 2). A script to run by hand or in CI, not a timed test.
#
#   bash bench/validate.sh                 # build release, measure
#   AGENT_BIN=target/debug/agent bash bench/validate.sh   # measure another binary
#   TARGET_MS=80 RUNS=50 bash bench/validate.sh
#   AGENT_BIN=target/debug/agent TARGET_MS=2000 RUNS=1 WARMUP=0 bash bench/validate.sh  # CI
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target_ms="${TARGET_MS:-50}"
runs="${RUNS:-30}"
warmup="${WARMUP:-3}"
repo="${REPO:-sample-repo}"

for tool in hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (apt-get install $tool)" >&2; exit 3; }
done

if [ -z "${AGENT_BIN:-}" ]; then
    cargo build --release -p agent --bin agent
    AGENT_BIN=target/release/agent
fi
[ -x "$AGENT_BIN" ] || { echo "bench: no agent binary at $AGENT_BIN" >&2; exit 3; }

# The command must succeed (a benchmark of a failing validation measures nothing).
"$AGENT_BIN" validate "$repo" >/dev/null

json="$(mktemp -t bench-validate.XXXXXX.json)"
trap 'rm -f "$json"' EXIT
# For the record, side by side: every run re-running the real tools (cache off), the
# structural check alone, and the default (a passed local check of an unchanged render
# is taken from the cache; the first run after a change pays the tools' ~200 ms).
# The sample's secrets are SOPS-encrypted to the test-only demo key: without a key,
# validate checks them with typed placeholders (and warns); with the key (as a deploy
# node or a trusted CI job has it) it decrypts them in memory too.
demo_key="tests/lab/demo-age-key.txt"
hyperfine --warmup "$warmup" --min-runs "$runs" -N \
    -n "validate, tools re-run every time" "env AGENT_NO_CHECK_CACHE=1 $AGENT_BIN validate $repo" \
    -n "validate --no-local-checks" "$AGENT_BIN validate --no-local-checks $repo" \
    -n "validate, secrets decrypted (demo key)" "env AGENT_AGE_IDENTITY=$demo_key $AGENT_BIN validate $repo"
hyperfine --warmup "$warmup" --min-runs "$runs" -N --export-json "$json" \
    "$AGENT_BIN validate $repo"

median_ms=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % (r["median"]*1000))' "$json")
echo
echo "agent validate $repo: median ${median_ms} ms (target < ${target_ms} ms)"
if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$median_ms" "$target_ms"; then
    echo "RESULT: PASS"
else
    echo "RESULT: FAIL (median above target)"
    exit 1
fi
