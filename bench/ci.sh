#!/usr/bin/env bash
# Every benchmark script at its smallest size (one host, two commits, one run), so a
# benchmark that no longer runs fails CI (.ci/run) instead of a reader. Measures
# nothing worth keeping: the figures in the README come from the full-size runs.
#
#   bash bench/ci.sh          # root (the lab, the loopback sshd fleet); ~2-3 min
#
# A new script under bench/ must be added below (the check at the end says so).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The debug build the tests already made (a release build would cost minutes here).
cargo build -q -p agent -p k8s-double --bins
bin=$(pwd)/target/debug/agent
[ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/debug/agent
tmp=$(mktemp -d -t agent-bench-ci.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() {
    local name=$1 t0=$SECONDS rc=0
    shift
    echo "bench/ci: $name ..."
    "$@" >"$tmp/$name.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "bench/ci: $name FAILED (exit $rc); its last lines:" >&2
        tail -n 30 "$tmp/$name.log" | sed 's/^/  | /' >&2
        exit 1
    fi
    echo "bench/ci: $name ok ($((SECONDS - t0)) s)"
}

covered=(bench/validate.sh bench/hosts/run.sh bench/run/converge.sh bench/drill.sh bench/web/page.sh bench/import.sh)
# Not benchmarks themselves: this script, and the agent case run.sh installs.
helpers=(bench/ci.sh bench/hosts/agent-case.sh $(find bench/peers -name '*.sh' | sort | tr '\n' ' '))
for f in $(find bench -name '*.sh' | sort); do
    [[ " ${covered[*]} ${helpers[*]} " == *" $f "* ]] ||
        { echo "bench/ci: $f is not run by bench/ci.sh: add it at its smallest size" >&2; exit 1; }
done

run validate env AGENT_BIN="$bin" TARGET_MS=5000 RUNS=1 WARMUP=0 bash bench/validate.sh
run hosts env NS=1 TOOLS="baseline agent" BENCH_RUNS=1 AGENT_BIN="$bin" OUT="$tmp/hosts" \
    bash bench/hosts/run.sh
run converge env PROFILE=debug IDLE_S=5 OUT="$tmp/converge" bash bench/run/converge.sh 2
run drill env RELOAD_ROUNDS=1 OUT="$tmp/drill" bash bench/drill.sh 1
run web env AGENT_BIN="$bin" ENTRIES=20 bash bench/web/page.sh
run import env AGENT_BIN="$bin" RUNS=1 WARMUP=0 CORPUS_LIMIT=4 bash bench/import.sh
