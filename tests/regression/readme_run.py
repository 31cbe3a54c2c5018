"""Runs every command of README.md's bash blocks, in order, in a fresh directory.

The directory starts as a user's checkout does after `scripts/setup.sh`: build/hermes, inputs/,
jobs/ and the quickstart run in runs/quickstart. Each command runs as written, through bash, and
must exit 0. The only departures, each listed below with its reason, are
- commands this test cannot run here (the setup and test scripts that run this test, sbatch),
- files a user brings (corpus.txt, prompts.jsonl, my.toml, a downloaded HF model), made first,
- arguments appended to the long runs (the 18-minute speedrun) so they finish in seconds, and
- standard input for the interactive chat.
A README command that none of these rules names runs exactly as written, so a new command is
tested the day it is added. Prints one line per command with its time; exits 1 on any failure.

usage: readme_run.py HERMES SOURCE_DIR WORK_DIR
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

from doc_blocks import commands

hermes, source, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])

NOT_RUN = [
    (r"^scripts/(setup|test|install-deps)\.sh", "sets up the machine and runs this test"),
    (r"^cmake |^ctest ", "builds and runs this test"),
    (r"^sbatch ", "needs a SLURM cluster; tests/slurm runs these job scripts on one"),
    (r"build-example/", "runs what cmake builds; tests/regression/test_library_install.cmake builds and runs it"),
    (r"scaling-<job>\.csv", "reads a scaling sweep's output (an sbatch job)"),
]

# Appended to commands whose full run is long; they still run every stage.
SHORTEN = [
    (r"run inputs/agentic_speedrun\.toml",
     " data.synth_conversations=300 tokenizer.vocab_size=512 train.max_steps=6 eval.interval=3"
     " eval.tool_eval_max=4 checkpoint.interval=3 generate.max_tokens=24 train.log_interval=2"),
]

STDIN = [
    (r" chat ", "What is 3 + 4?\n/exit\n"),
]

# Files the command must leave behind (paths relative to the work directory).
LEAVES = [
    (r"train-tokenizer .*--output tokenizer\.json", ["tokenizer.json"]),
    (r"synth --output synth\.jsonl", ["synth.jsonl"]),
    (r"prepare .*--output data", ["data"]),
    (r"run inputs/tiny\.toml\s*(#|$)", ["runs/tiny/checkpoints/final.h5"]),
    (r"--output runs/mine", ["runs/mine/checkpoints/final.h5"]),
    (r"--format gguf --output quickstart\.gguf", ["quickstart.gguf"]),
    (r"--format hf --output quickstart-hf", ["quickstart-hf/model.safetensors", "quickstart-hf/config.json"]),
    (r"import .*--output smol", ["smol/checkpoint.h5", "smol/tokenizer.json", "smol/model.toml"]),
    (r"plot_metrics\.py .* curves\.png", ["curves.png"]),
]


def first(table, text):
    return next((value for pattern, value in table if re.search(pattern, text)), None)


def user_files():
    """What a user brings: a text corpus, prompts, their own generate deck, a downloaded model."""
    corpus = "\n\n".join(p.read_text() for p in [source / "README.md"] + sorted((source / "docs").glob("*.md")))
    (work / "corpus.txt").write_text(corpus)
    (work / "prompts.jsonl").write_text(
        '{"prompt": "<|user|>What is 3 + 4?<|endoftext|><|assistant|>"}\n'
        '{"prompt": "<|user|>Hello<|endoftext|><|assistant|>"}\n')
    (work / "my.toml").write_text(
        '[run]\nname = "my"\n[tokenizer]\npath = "runs/quickstart/tokenizer.json"\n'
        '[generate]\ncheckpoint = "runs/quickstart/checkpoints/final.h5"\nmax_tokens = 16\n')


def main():
    if work.exists():
        shutil.rmtree(work)
    (work / "build").mkdir(parents=True)
    os.symlink(hermes.resolve(), work / "build" / "hermes")
    for d in ("inputs", "jobs"):
        os.symlink(source / d, work / d)
    env = dict(os.environ)
    user_files()

    def shell(cmd, stdin=None):
        t0 = time.time()
        # timeout(1) stops the whole process group (mpirun and its ranks) and exits 124.
        p = subprocess.run(["timeout", "-k", "10", "600", "bash", "-c", cmd], cwd=work, env=env, input=stdin or "",
                           capture_output=True, text=True)
        return p, time.time() - t0

    # The state scripts/setup.sh leaves: the quickstart deck run on 2 ranks.
    setup = [line.strip() for line in (source / "scripts" / "setup.sh").read_text().splitlines()
             if re.search(r"build/hermes run", line)]
    if len(setup) != 1:
        print(f"scripts/setup.sh: expected one 'build/hermes run' line, found {len(setup)}")
        return 1
    p, secs = shell(setup[0])
    print(f"[{secs:6.1f}s] setup: {setup[0]} -> exit {p.returncode}")
    if p.returncode != 0:
        print(p.stdout[-3000:] + p.stderr[-3000:])
        return 1

    failures, ran = [], 0
    for no, text in commands(source / "README.md"):
        cmd = text.strip()
        where = f"README.md:{no}"
        reason = first(NOT_RUN, cmd)
        if reason:
            print(f"[  skip ] {where}: {cmd[:90]} ({reason})")
            continue
        if re.search(r"import --from path/to/SmolLM-135M", cmd):
            # A downloaded HuggingFace Llama: the HF export made by the command before.
            if (work / "quickstart-hf").is_dir():
                shutil.copytree(work / "quickstart-hf", work / "path/to/SmolLM-135M", dirs_exist_ok=True)
        # Optional arguments shown in brackets ([--pattern gpt2|llama3]) are left out.
        cmd = re.sub(r"\s*\[[^\]]*\]", "", cmd)
        code, comment = (cmd.split(" # ", 1) + [""])[:2] if " # " in cmd else (cmd, "")
        extra = first(SHORTEN, code) or ""
        p, secs = shell(code.rstrip() + extra, first(STDIN, code + " "))
        ran += 1
        problems = []
        if p.returncode != 0:
            problems.append("still running after 600 s" if p.returncode == 124 else f"exit {p.returncode}")
        for path in first(LEAVES, cmd) or []:
            if not (work / path).exists():
                problems.append(f"left no {path}")
        print(f"[{secs:6.1f}s] {where}: {code.strip()[:100]}{' (+' + extra.strip()[:40] + '...)' if extra else ''}"
              f" -> {'; '.join(problems) if problems else 'ok'}")
        if problems:
            tail = (p.stdout + p.stderr).strip().splitlines()[-15:]
            failures.append(where)
            print("    " + "\n    ".join(tail))
    print(f"{ran} README commands run, {len(failures)} failed")
    return 1 if failures or ran < 15 else 0


sys.exit(main())
