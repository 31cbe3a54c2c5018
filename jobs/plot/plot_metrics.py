#!/usr/bin/env python3
"""A run's metrics.csv -> PNG: training and validation loss, learning rate and throughput.
Usage: /usr/bin/python3 jobs/plot/plot_metrics.py runs/NAME/metrics.csv curves.png"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def column(rows, *names):
    for name in names:
        if rows and name in rows[0]:
            return [(float(r["step"]), float(r[name])) for r in rows if r.get(name) not in (None, "")]
    return []


def main(src, dst):
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    panels = [
        ("loss", [("train", column(rows, "loss", "train_loss")), ("val", column(rows, "val_loss"))]),
        ("learning rate", [("lr", column(rows, "lr"))]),
        ("tokens / s", [("throughput", column(rows, "tokens_per_s", "tok_per_s"))]),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(14, 4))
    for ax, (title, curves) in zip(axes, panels):
        for label, points in curves:
            if points:
                ax.plot([s for s, _ in points], [v for _, v in points], label=label,
                        marker="o" if label == "val" else None)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
        if any(points for _, points in curves):
            ax.legend()
    fig.suptitle(src)
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    print(f"wrote {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
