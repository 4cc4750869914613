#!/usr/bin/env bash
# The project's test command (README "Quick start", and what .ci/run runs):
# every test of the workspace, unit to end-to-end, then a one-screen summary.
#
# Settings: no fail-fast (one broken suite must not hide the others), backtraces on,
# no colour in the log. Suites that need the lab bring it up themselves (they need
# root); the Kubernetes suite runs against the test double unless KUBECONFIG is set.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log="$(mktemp -t agent-tests.XXXXXX.log)"
trap 'rm -f "$log"' EXIT
start=$(date +%s)

status=0
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?

# "test result: ok. 12 passed; 0 failed; 1 ignored; ..." once per test binary.
read -r passed failed ignored < <(
    awk '/^test result:/ { for (i = 1; i <= NF; i++) {
            if ($(i) ~ /^passed;?$/)  p += $(i-1)
            if ($(i) ~ /^failed;?$/)  f += $(i-1)
            if ($(i) ~ /^ignored;?$/) g += $(i-1) } }
         END { printf "%d %d %d\n", p, f, g }' "$log")
suites=$(grep -c '^test result:' "$log" || true)

echo
echo "==== summary ===="
echo "test binaries: $suites   passed: $passed   failed: $failed   ignored: $ignored   time: $(( $(date +%s) - start ))s"
if [ "$failed" -gt 0 ]; then
    echo "failed tests:"
    grep -E '^test .* FAILED$' "$log" | sed 's/^/  /' || true
fi
if [ "$status" -ne 0 ]; then
    echo "RESULT: FAIL (cargo test exited $status)"
else
    echo "RESULT: PASS"
fi
exit "$status"
