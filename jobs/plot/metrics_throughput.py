#!/usr/bin/env python3
"""Print the median training throughput (tokens/s) of a run's metrics.csv, skipping the first
rows (start-up, warm caches). Used by jobs/slurm/scaling_sweep.sbatch; standard library only."""
import csv
import statistics
import sys

COLUMNS = ("tokens_per_s", "tok_per_s", "tok/s")


def main(path: str) -> None:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    column = next((c for c in COLUMNS if rows and c in rows[0]), None)
    if column is None:
        sys.exit(f"{path}: no throughput column (looked for {', '.join(COLUMNS)})")
    values = [float(r[column]) for r in rows if r.get(column) not in (None, "")]
    values = values[len(values) // 5:] or values
    print(f"{statistics.median(values):.1f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: metrics_throughput.py runs/NAME/metrics.csv")
    main(sys.argv[1])
