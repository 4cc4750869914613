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

# Scale (issue 16), when the run measured several N: per N the medians of the warm agent
# and the peers, the agent's own RSS and its tree's, and the goals.
ns = sorted({k[0] for k in med})
if len(ns) >= 2:
    def rss(n, tool, sc, key):
        f = os.path.join(out, f"rss-{n}-{tool}-{sc}.json")
        try:
            return json.loads(open(f).read().splitlines()[-1]).get(key)
        except (OSError, ValueError, IndexError):
            return None
    def mib(k):
        return "-" if k is None else f"{k / 1024:.0f}"
    a = "agent-warm"
    print(f"\n## Scale: {a} per N (median s; RSS MiB: agent process / whole tree, drift check)\n")
    print("| N | check | pyinfra check | ratio | apply (all change) | pyinfra apply | ratio | baseline-warm apply | agent RSS | tree RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        c, pc = med.get((n, a, "check_nodrift")), med.get((n, "pyinfra", "check_nodrift"))
        ap, pa = med.get((n, a, "apply_change")), med.get((n, "pyinfra", "apply_change"))
        bw = med.get((n, "baseline-warm", "apply_change"))
        f = lambda v: "-" if v is None else f"{v:.3f}"
        r = lambda x, y: "-" if x is None or y is None else f"{x / y:.2f}"
        print(f"| {n} | {f(c)} | {f(pc)} | {r(c, pc)} | {f(ap)} | {f(pa)} | {r(ap, pa)} | {f(bw)} | "
              f"{mib(rss(n, a, 'check_nodrift', 'time_v_maxrss_kib'))} | {mib(rss(n, a, 'check_nodrift', 'peak_tree_rss_kib'))} |")
    goals = []
    lo, hi = ns[0], ns[-1]
    def goal(name, v, bound):
        if v is not None:
            goals.append(f"{name}: {v:.2f} (goal ≤ {bound}) {'MET' if v <= bound else 'MISSED'}")
    q = lambda x, y: None if x is None or y is None else x / y
    goal(f"warm drift check at N={hi} vs pyinfra", q(med.get((hi, a, "check_nodrift")), med.get((hi, "pyinfra", "check_nodrift"))), 0.2)
    goal(f"warm drift check N={hi} / N={lo}", q(med.get((hi, a, "check_nodrift")), med.get((lo, a, "check_nodrift"))), 4.5 * (hi / lo) / 4)
    goal(f"warm apply at N={lo} vs pyinfra", q(med.get((lo, a, "apply_change")), med.get((lo, "pyinfra", "apply_change"))), 0.4)
    goal(f"warm apply at N={hi} vs pyinfra", q(med.get((hi, a, "apply_change")), med.get((hi, "pyinfra", "apply_change"))), 0.3)
    worst = max((rss(hi, t, sc, "time_v_maxrss_kib") or 0 for t in ("agent", a) for sc in SC), default=0)
    if worst:
        goal(f"agent process RSS at N={hi}, MiB (worst scenario)", worst / 1024, 40)
    print()
    for g in goals:
        print("- " + g)
