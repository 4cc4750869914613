#!/usr/bin/env bash
# The declared MSRV (workspace `rust-version`) must be true for the locked dependencies
# too: no package in Cargo.lock's resolution may declare a newer rust-version. (Our
# own code's std APIs are checked by clippy's `incompatible_msrv` lint, which reads the
# same `rust-version`; only one toolchain exists on these machines, so neither check
# compiles with the old compiler itself.) Exit 1 names the offenders.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
m = json.load(sys.stdin)
def v(s): return (tuple(int(x) for x in s.split(".")) + (0, 0))[:3]
ours = {p["id"] for p in m["packages"] if p["id"] in m["workspace_members"]}
msrv = max(v(p["rust_version"]) for p in m["packages"] if p["id"] in ours and p.get("rust_version"))
bad = ["%s %s needs %s" % (p["name"], p["version"], p["rust_version"])
       for p in m["packages"] if p.get("rust_version") and v(p["rust_version"]) > msrv]
missing = [p["name"] for p in m["packages"] if p["id"] in ours and not p.get("rust_version")]
if missing:
    sys.exit(f"check-msrv: workspace members without rust-version: {missing}")
if bad:
    sys.exit("check-msrv: locked dependencies newer than the MSRV %s: %s" % (".".join(map(str, msrv)), "; ".join(bad)))
print("check-msrv: MSRV %s holds for %d locked packages" % (".".join(map(str, msrv)), len(m["packages"])))
'
