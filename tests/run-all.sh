#!/usr/bin/env bash
# The project's test command (README "Quick start", and what .ci/run runs):
# every test of the workspace, unit to end-to-end, then a one-screen summary.
#
# First `tests/setup` installs what is missing (the project's one list of packages, sops,
# python modules; quiet, one line per step, well under a second when all is there).
# Settings: no fail-fast (one broken suite must not hide the others), backtraces on,
# no colour in the log. Suites that need the lab bring it up themselves (they need
# root); the Kubernetes suite runs against the test double unless KUBECONFIG is set.
#
# A test that cannot run here (a missing tool, no root, KUBECONFIG set) records a skip
# (crate `test-skip`) in the file named by AGENT_TESTS_SKIP_LOG, set here: the summary
# counts skips apart from passes and lists each with its reason. With
# AGENT_TESTS_REQUIRE_ALL=1 (.ci/run sets it) a skip fails its test instead.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

bash tests/setup

log="$(mktemp -t agent-tests.XXXXXX.log)"
skips="$(mktemp -t agent-skips.XXXXXX.log)"
trap 'rm -f "$log" "$skips"' EXIT
export AGENT_TESTS_SKIP_LOG="$skips"
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
# libtest counts a skipped test as passed: count it once (by name), as skipped.
sort -u -t "$(printf '\t')" -k1,1 -o "$skips" "$skips"
skipped=$(grep -c . "$skips" || true)
passed=$(( passed >= skipped ? passed - skipped : 0 ))

echo
echo "==== summary ===="
echo "test binaries: $suites   ignored: $ignored   time: $(( $(date +%s) - start ))s"
if [ "$skipped" -gt 0 ]; then
    echo "skipped tests (could not run here; AGENT_TESTS_REQUIRE_ALL=1 makes these failures):"
    awk -F '\t' '{ printf "  %s: %s\n", $1, $2 }' "$skips"
fi
if [ "$failed" -gt 0 ]; then
    echo "failed tests:"
    grep -E '^test .* FAILED$' "$log" | sed 's/^/  /' || true
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ]; then
    echo "RESULT: FAIL (cargo test exited $status)"
else
    echo "RESULT: PASS"
fi
exit "$status"
