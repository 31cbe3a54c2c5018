#!/usr/bin/env python3
"""Scaling CSV (from scaling_sweep.sbatch) -> PNG: throughput and parallel efficiency against
ranks, strong and weak scaling side by side.
Usage: /usr/bin/python3 jobs/plot/plot_scaling.py scaling.csv scaling.png"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    series = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            series.setdefault(row["mode"], []).append((int(row["ranks"]), float(row["tokens_per_s"])))
    return {mode: sorted(points) for mode, points in series.items()}


def main(src, dst):
    series = load(src)
    fig, (ax_tp, ax_eff) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, points in series.items():
        ranks = [r for r, _ in points]
        tps = [t for _, t in points]
        base_r, base_t = points[0]
        ax_tp.plot(ranks, tps, "o-", label=f"{mode} scaling")
        ax_tp.plot(ranks, [base_t * r / base_r for r in ranks], ":", color="gray")
        eff = [t / (base_t * r / base_r) for r, t in points]
        ax_eff.plot(ranks, [100 * e for e in eff], "o-", label=mode)
    for ax in (ax_tp, ax_eff):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("ranks")
        ax.grid(True, alpha=0.3)
        ax.legend()
    ax_tp.set_yscale("log")
    ax_tp.set_ylabel("tokens / s (dotted: ideal)")
    ax_eff.set_ylabel("parallel efficiency (%)")
    ax_eff.set_ylim(0, 110)
    fig.suptitle(f"hermes scaling: {src}")
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    print(f"wrote {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
