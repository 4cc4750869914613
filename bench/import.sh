#!/usr/bin/env bash
# Benchmark: `agent import` (issue 12), release build. A script to run by hand, not a
# timed test. Two measurements:
#   1. the corpus (tests/corpus/import, 50 public configurations): each file imported
#      alone offline (`--from KIND=FILE`) with the full round trip (real haproxy -c,
#      apache2ctl -t, crm_verify, semantic comparison), local-check cache off; hyperfine
#      on four representative files, then the whole corpus file by file, total seconds;
#   2. the lab (root; takes the lab lock like the test fixture): the platform configured
#      by hand (tests/lab/import-fixture/configure.sh), then `agent import` of gw, ha1,
#      ha2 and the CIB over SSH, RUNS times; the lab is restored afterwards.
#
#   bash bench/import.sh                # both
#   SKIP_LAB=1 bash bench/import.sh     # the corpus only (no root needed)
#   SKIP_CORPUS=1 bash bench/import.sh  # the lab only
#   AGENT_BIN=target/debug/agent RUNS=10 bash bench/import.sh
#   RUNS=1 WARMUP=0 CORPUS_LIMIT=4 bash bench/import.sh   # the smallest run (bench/ci.sh)
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
runs="${RUNS:-5}"
warmup="${WARMUP:-1}"
# At most this many corpus files in the file-by-file pass (default: all of them).
limit="${CORPUS_LIMIT:-0}"
for tool in hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (apt-get install $tool)" >&2; exit 3; }
done
if [ -z "${AGENT_BIN:-}" ]; then
    cargo build --release -p agent --bin agent
    AGENT_BIN=target/release/agent
fi
AGENT_BIN="$(cd "$(dirname "$AGENT_BIN")" && pwd)/$(basename "$AGENT_BIN")"
work="$(mktemp -d -t bench-import.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export AGENT_NO_CHECK_CACHE=1 AGENT_AGE_IDENTITY="$PWD/tests/lab/demo-age-key.txt" SOPS_DISABLE_VERSION_CHECK=1

kind_of() { case "$1" in */haproxy/*) echo haproxy;; */apache/*) echo apache;; */cib/*) echo cib;; */corosync/*) echo corosync;; esac; }
# Exit 2 (a file the real tool rejects here, its original too: missing certificates,
# newer syntax) and 7 (a known difference) still measure a complete import.
import_one() { # FILE OUTDIR
    rm -rf "$2"
    local rc=0
    "$AGENT_BIN" import --out "$2" --from "$(kind_of "$1")=$1" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || [ "$rc" -eq 7 ]
}

if [ -z "${SKIP_CORPUS:-}" ]; then
echo "== corpus: representative files (one import each, round trip included)"
c=tests/corpus/import
hyperfine --warmup "$warmup" --min-runs "$runs" -N -i \
    -n "haproxy (haproxy-auth.cfg, 134 lines)" "$AGENT_BIN import --out $work/a --force --from haproxy=$c/haproxy/haproxy-auth.cfg" \
    -n "apache (gitlab-ssl-apache24.conf, 90 lines)" "$AGENT_BIN import --out $work/b --force --from apache=$c/apache/gitlab-ssl-apache24.conf" \
    -n "cib (pcs-cib-all.xml, 258 lines)" "$AGENT_BIN import --out $work/c --force --from cib=$c/cib/pcs-cib-all.xml" \
    -n "corosync (corosync.conf.example)" "$AGENT_BIN import --out $work/d --force --from corosync=$c/corosync/corosync.conf.example" \

echo "== corpus: every file, one import each"
n=0
start=$(date +%s.%N)
for f in $c/haproxy/* $c/apache/* $c/cib/* $c/corosync/*; do
    import_one "$f" "$work/all" || { echo "bench: import of $f failed" >&2; exit 1; }
    n=$((n + 1))
    if [ "$limit" -gt 0 ] && [ "$n" -ge "$limit" ]; then break; fi
done
end=$(date +%s.%N)
python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'corpus: {sys.argv[3]} files in {t:.2f} s ({1000*t/int(sys.argv[3]):.0f} ms per file)')" "$start" "$end" "$n"
fi

if [ -n "${SKIP_LAB:-}" ]; then
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "bench: the lab part needs root (SKIP_LAB=1 for the corpus only)" >&2; exit 3; }
state="${LAB_STATE:-/srv/agent-lab}"
exec 9>"$state.lock"
echo "== lab: waiting for the lab lock ($state.lock)"
flock 9
export LAB_LOCK_HELD=1   # tests/lab/lab: this script holds the lock (it would wait for itself)
up_here=""
if ! tests/lab/lab status >/dev/null 2>&1; then
    tests/lab/lab up >/dev/null
    up_here=1
fi
cleanup_lab() {
    bash tests/lab/import-fixture/restore.sh || true
    if [ -n "$up_here" ]; then tests/lab/lab down >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup_lab EXIT
bash tests/lab/import-fixture/configure.sh
"$AGENT_BIN" import inventory --out "$work/lab" --hosts gw=10.77.0.10,ha1=10.77.0.11,ha2=10.77.0.12,w1=10.77.0.21,w2=10.77.0.22 >/dev/null
echo "== lab: agent import of gw, ha1, ha2 and the CIB over SSH (cold: one SSH connection per host per run)"
hyperfine --warmup "$warmup" --min-runs "$runs" -N \
    -n "import lab (gateway, balancer, cluster)" \
    "$AGENT_BIN --config $state/agent.yaml import --out $work/lab --force --target gateway --target balancer --target cluster"
