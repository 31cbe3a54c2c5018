"""kill -9 at random moments, then resume: the finished run equals one never interrupted.

usage: kill_resume.py HERMES WORK_DIR [--seed N] [--kills K]

A reference run trains to the end. The same run is then started, killed with SIGKILL at a
random moment (the moments come from --seed, so a failure replays exactly), resumed with
run.resume = "auto", killed again, and so on K times, then resumed to the end. Some kills are
aimed at the middle of a checkpoint write (the moment a .tmp file appears in the checkpoint
folder). The test asserts: every resume starts (no kill leaves the run unresumable), every
weight and optimizer tensor of the final checkpoint is bit-identical to the reference, and
metrics.csv holds each step once with the reference's loss and gradient norm.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

DECK = """[run]
name = "{name}"
stages = ["pretrain"]
seed = 11
[data]
output_dir = "{data}"
[tokenizer]
path = "{tokenizer}"
[model]
preset = "nano"
context_length = 64
[train]
batch_size = 8
seq_len = 64
max_steps = 40
log_interval = 1
[optim]
lr = 3e-3
[eval]
interval = 0
test_at_end = false
[checkpoint]
interval = 2
keep_last = 2
save_best = false
"""

PREP = """[run]
name = "prep"
stages = ["synth", "tokenizer", "prepare"]
seed = 11
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 300
[tokenizer]
vocab_size = 512
"""


def run(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def tensors(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
        out["state"] = {k: f["state"].attrs[k] for k in f["state"].attrs if k != "rng"}
    return out


def metric_rows(path):
    """step -> (loss, grad_norm) as printed; fails on a duplicated or torn row."""
    rows = {}
    with open(path) as f:
        header = f.readline().strip().split(",")
        step_i, loss_i, gn_i = header.index("step"), header.index("loss"), header.index("grad_norm")
        for line in f:
            cols = line.rstrip("\n").split(",")
            if len(cols) != len(header):
                sys.exit(f"kill_resume: torn row in {path}: {line!r}")
            step = int(cols[step_i])
            if step in rows:
                sys.exit(f"kill_resume: step {step} appears twice in {path}")
            rows[step] = (cols[loss_i], cols[gn_i])
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hermes")
    ap.add_argument("work")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--kills", type=int, default=8)
    a = ap.parse_args()
    a.hermes = os.path.abspath(a.hermes)
    rng = random.Random(a.seed)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    with open(os.path.join(a.work, "prep.toml"), "w") as f:
        f.write(PREP)
    r = run([a.hermes, "run", "prep.toml"], a.work)
    if r.returncode != 0:
        sys.exit(f"kill_resume: preparing the data failed:\n{r.stdout}")
    paths = dict(data=os.path.join(a.work, "runs/prep/data"), tokenizer=os.path.join(a.work, "runs/prep/tokenizer.json"))
    for name in ("ref", "killed"):
        with open(os.path.join(a.work, f"{name}.toml"), "w") as f:
            f.write(DECK.format(name=name, **paths))

    t0 = time.monotonic()
    r = run([a.hermes, "run", "ref.toml"], a.work)
    duration = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"kill_resume: the reference run failed:\n{r.stdout}")
    print(f"reference run: {duration:.1f} s")

    ck = os.path.join(a.work, "runs/killed/checkpoints")
    log = open(os.path.join(a.work, "killed.log"), "w")
    mid_checkpoint = 0
    for k in range(a.kills):
        # Every other kill waits for a checkpoint write in progress; the rest come at a random time.
        aim = "checkpoint" if k % 2 == 1 else "time"
        delay = rng.uniform(0.05, duration)
        nth_write = rng.randint(1, 6)  # which checkpoint write of this attempt to interrupt
        writes_seen = set()
        p = subprocess.Popen([a.hermes, "run", "killed.toml", "run.resume=auto"], cwd=a.work, stdout=log,
                             stderr=subprocess.STDOUT)
        start = time.monotonic()
        killed_at = None
        while p.poll() is None:
            now = time.monotonic() - start
            if aim == "checkpoint":
                if os.path.isdir(ck):
                    writes_seen.update(n for n in os.listdir(ck) if n.endswith(".tmp"))
                if len(writes_seen) >= nth_write:
                    killed_at = f"during checkpoint write {nth_write} of this attempt"
            elif now >= delay:
                killed_at = f"after {now:.2f} s"
            if killed_at:
                p.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
        p.wait()
        if killed_at is None:
            print(f"kill {k + 1}: the run finished before the kill ({aim}); starting the next attempt")
            continue
        if os.path.isdir(ck) and any(n.endswith(".tmp") for n in os.listdir(ck)):
            mid_checkpoint += 1
        print(f"kill {k + 1}: SIGKILL {killed_at}; checkpoints now {sorted(os.listdir(ck)) if os.path.isdir(ck) else []}")
    log.close()

    r = run([a.hermes, "run", "killed.toml", "run.resume=auto"], a.work)
    if r.returncode != 0:
        sys.exit(f"kill_resume: the final resume failed (exit {r.returncode}):\n{r.stdout}")
    if mid_checkpoint == 0:
        sys.exit("kill_resume: no kill landed during a checkpoint write (a .tmp file left behind); "
                 "the test did not exercise that case")

    ref = tensors(os.path.join(a.work, "runs/ref/checkpoints/final.h5"))
    got = tensors(os.path.join(ck, "final.h5"))
    problems = []
    if set(ref) != set(got):
        problems.append(f"tensor sets differ: {sorted(set(ref) ^ set(got))}")
    for name in sorted(set(ref) & set(got) - {"state"}):
        if ref[name].dtype != got[name].dtype or not np.array_equal(ref[name], got[name]):
            problems.append(f"{name} differs from the uninterrupted run")
    for key, value in ref["state"].items():
        if not np.array_equal(value, got["state"].get(key)):
            problems.append(f"state {key}: {got['state'].get(key)} != {value}")
    ref_rows = metric_rows(os.path.join(a.work, "runs/ref/metrics.csv"))
    got_rows = metric_rows(os.path.join(a.work, "runs/killed/metrics.csv"))
    if ref_rows != got_rows:
        diff = [s for s in sorted(set(ref_rows) | set(got_rows)) if ref_rows.get(s) != got_rows.get(s)]
        problems.append(f"metrics.csv differs at steps {diff[:10]}")
    if problems:
        sys.exit("kill_resume: " + "; ".join(problems))
    print(f"kill_resume: {a.kills} kills ({mid_checkpoint} during a checkpoint write), final checkpoint "
          f"bit-identical ({len(ref) - 1} tensors), metrics.csv identical ({len(ref_rows)} steps)")


if __name__ == "__main__":
    main()
