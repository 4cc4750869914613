#!/usr/bin/env python3
"""Ratios of the agent's medians to the peers' (issue 4's targets) from a run-bench.sh
results directory: `ratios.py OUT [N]` (N: the largest measured by default)."""
import glob, json, os, re, sys

out = sys.argv[1]
med = {}
for f in glob.glob(os.path.join(out, "*-*.json")):
    m = re.match(r"(\d+)-(.+)-(apply_change|apply_noop|check_nodrift)\.json$", os.path.basename(f))
    try:
        med[(int(m[1]), m[2], m[3])] = json.load(open(f))["results"][0]["median"]
    except (TypeError, ValueError, KeyError, IndexError):
        continue
if not med:
    sys.exit("no results in " + out)
n = int(sys.argv[2]) if len(sys.argv) > 2 else max(k[0] for k in med)
TARGETS = {  # (scenario, peer) -> the bound on agent/peer
    ("check_nodrift", "pyinfra"): 0.5, ("check_nodrift", "baseline-warm"): 1.2,
    ("apply_change", "pyinfra"): 0.5,
}
SC = {"check_nodrift": "(i) drift check", "apply_change": "(ii) apply, all change", "apply_noop": "(iii) apply, no-op"}
print(f"## Ratios at N={n} (agent median / peer median; < 1 means the agent is faster)\n")
print("| scenario | agent | vs pyinfra | vs ansible-tuned | vs baseline-warm | vs baseline-c25519 |")
print("|---|---|---:|---:|---:|---:|")
verdicts = []
for sc in SC:
    for a in ("agent", "agent-warm", "agent-service"):
        if (n, a, sc) not in med:
            continue
        cells = []
        for peer in ("pyinfra", "ansible-tuned", "baseline-warm", "baseline-c25519"):
            p = med.get((n, peer, sc))
            if p is None:
                cells.append("-"); continue
            r = med[(n, a, sc)] / p
            t = TARGETS.get((sc, peer))
            mark = "" if t is None else (" ✓" if r <= t else f" ✗ (target ≤ {t})")
            cells.append(f"{r:.2f}{mark}")
            if t is not None:
                verdicts.append(f"{a} {SC[sc]} vs {peer}: {r:.2f} (target ≤ {t}) {'MET' if r <= t else 'MISSED'}")
        print(f"| {SC[sc]} | {a} ({med[(n, a, sc)]:.3f} s) | " + " | ".join(cells) + " |")
print()
for v in verdicts:
    print("- " + v)
