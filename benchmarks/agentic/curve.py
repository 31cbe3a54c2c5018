"""Collects curve/*.json of an agentic run into curve.csv and draws curve.png (see curve.sh)."""
import csv
import glob
import json
import os
import re
import sys
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tool_eval_rates import curve_columns  # noqa: E402

run_dir = sys.argv[1]
stamp = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\] \[info\] (.*)$")


def seconds(line_match):
    return datetime.strptime(line_match, "%Y-%m-%d %H:%M:%S.%f").timestamp()


# Wall time of each logged step, from the first attempt's start (the synth stage, or pretrain).
start, at_step, last_step = None, {}, 0
with open(os.path.join(run_dir, "hermes.log"), errors="replace") as log:
    for line in log:
        m = stamp.match(line)
        if not m:
            continue
        t, text = seconds(m.group(1)), m.group(2)
        if start is None and text.startswith("== stage "):
            start = t
        s = re.match(r"step +(\d+)/(\d+) ", text)
        if s and int(s.group(1)) not in at_step:
            at_step[int(s.group(1))] = t - start
            last_step = int(s.group(2))

rows = []
for path in glob.glob(os.path.join(run_dir, "curve", "*.json")):
    j = json.load(open(path))
    name = os.path.basename(path)[:-5]
    step = last_step if name == "final" else int(name.split("_")[1])
    known = [s for s in at_step if s <= step]
    row = {"step": step, "seconds": round(at_step[max(known)], 1) if known else ""}
    row.update(curve_columns(j))
    rows.append(row)
rows.sort(key=lambda r: r["step"])
rows = [r for i, r in enumerate(rows) if i == 0 or r["step"] != rows[i - 1]["step"]]
with open(os.path.join(run_dir, "curve.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
print(open(os.path.join(run_dir, "curve.csv")).read(), end="")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit(0)
fig, ax = plt.subplots(figsize=(7, 4))
minutes = [r["seconds"] / 60 for r in rows]
for key, label in (("heldout_exact_args", "exact arguments (held-out)"),
                   ("paraphrased_exact_args", "exact arguments (paraphrased)"),
                   ("heldout_agent", "agent: conversations solved (held-out)")):
    if all(r[key] != "" for r in rows):
        ax.plot(minutes, [100 * r[key] for r in rows], marker="o", label=label)
ax.axhline(90, color="grey", linestyle=":", linewidth=1)
ax.set_xlabel("wall time since the run started (minutes)")
ax.set_ylabel("%")
ax.set_ylim(0, 100)
ax.grid(alpha=0.3)
ax.legend(loc="upper left")
fig.tight_layout()
fig.savefig(os.path.join(run_dir, "curve.png"), dpi=110)
