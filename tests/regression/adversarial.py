#!/usr/bin/env python3
"""Adversarial end-to-end test of the hermes binary.

  adversarial.py HERMES_BINARY WORK_DIR [--seed N] [--keep-going] [--jobs N] [--timeout S]
                 [--only CLASS[,CLASS...]] [--list]

Builds one small good run from scratch (synthetic corpus, tokenizer, shards, checkpoints, a
HuggingFace export), checks that hermes accepts those inputs, then derives a few hundred bad
inputs from them, deterministically from the seed: decks, command-line overrides and flags,
tokenizer.json files, corpora, HDF5 shards and manifests, checkpoints, prompts files,
HuggingFace directories for import, checkpoints for export, and output paths that cannot be
written. Each variant is one single-rank hermes invocation.

A variant is judged by its expectation:
  fail   the input is invalid: exit 1 or 2, no signal, no hang, exactly one `hermes: error:`
         line, nothing else on stderr but `hermes: warning:` lines, no HDF5 error stack, no
         "internal error" / "unexpected failure" / terminate / sanitizer / MPI abort text;
  clean  the input may be acceptable: exit 0, or a refusal that looks like `fail` demands;
  skip   a malformed prompt line, which batch generation reports and skips: exit 0, a warning,
         and an error record in its place in the output.
Random truncations and byte flips are kept only when an independent reader (tomllib, json,
h5py) shows the damage must be noticed, so every `fail` variant is invalid for certain.

Exit status: 0 when every variant behaves, 1 otherwise (the report lists each misbehaving one).
"""
import argparse
import concurrent.futures
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time
import tomllib

import h5py
import numpy as np

ERROR_LINE = re.compile(rb"^hermes: error(?: \[rank \d+\])?: \S")
WARNING_LINE = re.compile(rb"^hermes: warning(?: \[rank \d+\])?: ")
# Text that must never reach the user, whatever the input.
FORBIDDEN = [
    (b"HDF5-DIAG", "HDF5 dump"),
    (b"internal error", "internal/unexpected error"),
    (b"unexpected failure", "internal/unexpected error"),
    (b"terminate called", "internal/unexpected error"),
    (b"what():", "internal/unexpected error"),
    (b"Assertion", "internal/unexpected error"),
    (b"Sanitizer", "internal/unexpected error"),
    (b"runtime error:", "internal/unexpected error"),
    (b"Segmentation fault", "crash/signal"),
    (b"core dumped", "crash/signal"),
    (b"infinite loop closing library", "HDF5 dump"),
    (b"MPI_ABORT", "MPI abort boilerplate"),
    (b"MPI_Abort", "MPI abort boilerplate"),
    (b"PMIX ERROR", "MPI abort boilerplate"),
    (b"ORTE_ERROR_LOG", "MPI abort boilerplate"),
    (b"mpirun noticed", "MPI abort boilerplate"),
    (b"mpirun has exited", "MPI abort boilerplate"),
]
SYMPTOM_ORDER = ["crash/signal", "hang", "zero exit", "bad prompt line not reported", "HDF5 dump",
                 "internal/unexpected error", "MPI abort boilerplate", "exit code other than 1/2",
                 "multi-line or missing error line"]


class Variant:
    def __init__(self, cls, name, args, expect="fail", stdin=None, timeout=None, skip_check=None):
        self.cls, self.name, self.args, self.expect = cls, name, args, expect
        self.stdin, self.timeout, self.skip_check = stdin, timeout, skip_check
        self.cwd = None


class Result:
    def __init__(self, rc, out, err, hung, seconds):
        self.rc, self.out, self.err, self.hung, self.seconds = rc, out, err, hung, seconds


# ---------------------------------------------------------------------------------------------
# Running hermes

def hermes_env():
    env = dict(os.environ)
    if os.geteuid() == 0:  # Open MPI refuses root unless told
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.update(OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    # A single rank needs no helper daemon; starting without one saves a third of each run.
    env.setdefault("OMPI_MCA_ess_singleton_isolated", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("HERMES_INJECT_FAILURE", None)
    return env


def as_bytes(a):
    return a if isinstance(a, bytes) else os.fsencode(str(a))


class Runner:
    def __init__(self, binary, timeout):
        self.binary = os.path.abspath(binary)
        self.timeout = timeout
        self.env = hermes_env()
        with open(self.binary, "rb") as f:
            image = f.read()
        # A crafted size must end in a refusal, not in the kernel's OOM killer taking the
        # machine's other jobs with it; sanitizer and CUDA builds reserve address space up front.
        reserves = b"AddressSanitizer" in image or b"cudaMalloc" in image
        self.limit_kb = None if reserves else 6 * 1024 * 1024

    def __call__(self, args, cwd, timeout=None, stdin=None):
        argv = [as_bytes(self.binary)] + [as_bytes(a) for a in args]
        if self.limit_kb:
            argv = [b"/bin/sh", b"-c", b'ulimit -v %d && exec "$0" "$@"' % self.limit_kb] + argv
        limit = timeout or self.timeout
        start = time.monotonic()
        # Each run keeps Open MPI's session folder in its own TMPDIR: runs in parallel otherwise
        # race on creating and removing one shared folder under /tmp.
        env = dict(self.env, TMPDIR=os.path.join(os.fsdecode(cwd), ".tmp"))
        os.makedirs(env["TMPDIR"], exist_ok=True)
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             start_new_session=True)
        hung = False
        try:
            out, err = p.communicate(stdin, timeout=limit)
        except subprocess.TimeoutExpired:
            hung = True
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the group this call started, nothing else
            except ProcessLookupError:
                pass
            out, err = p.communicate()
        return Result(p.returncode, out, err, hung, time.monotonic() - start)


def judge(v, r, timeout):
    """Returns a list of (symptom, detail); empty when the variant behaved."""
    problems = []
    if r.hung:
        return [("hang", f"still running after {timeout:.0f} s; killed")]
    if r.rc < 0:
        name = signal.Signals(-r.rc).name if -r.rc in signal.valid_signals() else str(-r.rc)
        problems.append(("crash/signal", f"killed by {name}"))
    elif r.rc >= 128:
        problems.append(("crash/signal", f"exit code {r.rc} (a signal)"))
    text = r.out + r.err
    for needle, symptom in FORBIDDEN:
        if needle in text:
            problems.append((symptom, f"output holds '{needle.decode()}'"))
    errors = [l for l in text.splitlines() if ERROR_LINE.match(l)]
    stray = [l for l in r.err.splitlines() if l.strip() and not ERROR_LINE.match(l) and not WARNING_LINE.match(l)]
    stray += [l for l in r.out.splitlines() if re.match(rb"(?i)\s*(hermes: )?(error|fatal)\b", l) and not ERROR_LINE.match(l)]
    if v.expect == "skip":
        if r.rc > 0:
            problems.append(("exit code other than 1/2" if r.rc not in (1, 2) else "multi-line or missing error line",
                             f"exit {r.rc}: a malformed prompt line must be skipped, not stop the run"))
        if errors or stray:
            problems.append(("multi-line or missing error line", "error output for a skipped line"))
        if r.rc == 0 and v.skip_check:
            why = v.skip_check(v, r)
            if why:
                problems.append(("bad prompt line not reported", why))
        return dedupe(problems)
    if r.rc == 0:
        if v.expect == "fail":
            problems.append(("zero exit", "accepted an invalid input"))
        elif errors:
            problems.append(("multi-line or missing error line", "exit 0 but an error line was printed"))
        return dedupe(problems)
    if r.rc > 0 and r.rc not in (1, 2) and r.rc < 128:
        problems.append(("exit code other than 1/2", f"exit {r.rc}"))
    if len(errors) != 1:
        problems.append(("multi-line or missing error line", f"{len(errors)} `hermes: error` lines"))
    if stray:
        problems.append(("multi-line or missing error line",
                         f"{len(stray)} other error/stderr line(s), first: {stray[0][:160].decode(errors='replace')}"))
    return dedupe(problems)


def dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------
# Small helpers for writing damaged files

def write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def flip(data, pos, mask):
    b = bytearray(data)
    b[pos] ^= mask
    return bytes(b)


def jdump(obj):
    return json.dumps(obj, ensure_ascii=False).encode()


def damaging_flips(rng, raw, keep, is_damaged):
    """Up to `keep` random byte flips (pos, mask, data) of `raw` that is_damaged(pos, data) says
    break it: a flip the oracle finds harmless would not be a test."""
    found = []
    for _ in range(4000):
        if len(found) >= keep:
            break
        pos, mask = rng.randrange(len(raw)), random_mask(rng)
        data = flip(raw, pos, mask)
        if is_damaged(pos, data):
            found.append((pos, mask, data))
    return found


def not_json(data):
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return True
    return False


def random_mask(rng):
    return rng.choice([0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, rng.randrange(1, 256)])


def pick(rng, items, k):
    """A seeded choice of k of the items, in their listed order: each seed covers another part
    of a long list while a run stays short."""
    items = list(items)
    if k >= len(items):
        return items
    chosen = set(rng.sample(range(len(items)), k))
    return [x for i, x in enumerate(items) if i in chosen]


def truncation_points(rng, size, count, low=1, high=None):
    high = size - 1 if high is None else high
    points = set()
    while len(points) < min(count, high - low + 1):
        points.add(rng.randrange(low, high + 1))
    return sorted(points)


# ---------------------------------------------------------------------------------------------
# The deck oracle: what hermes's deck reader must refuse (include/hermes/deck/deck.hpp's rules).

RANGES = {
    "run.seed": (0, None, False),
    "tokenizer.vocab_size": (256, 1 << 24, False), "tokenizer.min_frequency": (1, None, False),
    "tokenizer.max_bytes": (0, None, False),
    "data.shard_tokens": (1024, None, False), "data.val_fraction": (0, 0.5, False),
    "data.test_fraction": (0, 0.5, False), "data.data_fraction": (0, 1, True),
    "data.synth_conversations": (1, None, False),
    "model.vocab_size": (256, 1 << 24, False), "model.n_layer": (1, 1024, False), "model.n_embd": (8, 1 << 16, False),
    "model.n_head": (1, 1024, False), "model.n_kv_head": (1, 1024, False), "model.ffn_hidden": (1, 1 << 20, False),
    "model.context_length": (2, 1 << 20, False), "model.rope_theta": (0, None, True), "model.norm_eps": (0, 1, True),
    "model.init_std": (0, 1, True),
    "train.batch_size": (1, None, False), "train.seq_len": (0, None, False), "train.grad_accum": (1, None, False),
    "train.max_steps": (0, None, False), "train.epochs": (0, None, True), "train.log_interval": (1, None, False),
    "train.grad_clip": (0, None, False),
    "optim.lr": (0, 10, True), "optim.min_lr_ratio": (0, 1, False), "optim.warmup_steps": (0, None, False),
    "optim.weight_decay": (0, 1, False), "optim.beta1": (0, 1, False), "optim.beta2": (0, 1, False),
    "optim.eps": (0, None, True), "optim.muon_lr": (0, 10, True), "optim.muon_momentum": (0, 1, False),
    "optim.ns_steps": (1, 20, False),
    "eval.interval": (0, None, False), "eval.batches": (1, None, False), "eval.tool_eval_max": (1, None, False),
    "checkpoint.interval": (0, None, False), "checkpoint.keep_last": (1, None, False),
    "generate.max_tokens": (1, None, False), "generate.temperature": (0, None, False), "generate.top_k": (0, None, False),
    "generate.top_p": (0, 1, True), "generate.seed": (0, None, False), "generate.samples": (0, None, False),
    "parallel.bucket_mb": (0, None, True),
}
STAGES = ["synth", "tokenizer", "prepare", "pretrain", "evaluate", "generate", "export", "info"]
CHOICES = {
    "run.stages": STAGES, "run.log_level": ["debug", "info", "warn", "error"],
    "tokenizer.format": ["", "text", "jsonl", "sharegpt"], "data.format": ["text", "jsonl", "sharegpt"],
    "data.loss_mask": ["all", "assistant"],
    "model.preset": ["nano", "tiny", "gpt2-small", "gpt2-medium", "gpt2-large", "llama-small", "agentic-50m"],
    "model.ffn": ["gelu", "swiglu"], "train.precision": ["auto", "fp32", "bf16"], "optim.name": ["adamw", "muon"],
    "optim.schedule": ["cosine", "wsd", "constant"], "generate.prompt_overflow": ["truncate", "error"],
    "export.format": ["hf", "gguf"], "export.dtype": ["", "fp32", "fp16", "f32", "f16", "bf16", "q8_0"],
    "parallel.backend": ["host", "cuda", "auto"],
}
FILLED = {"run.name", "run.stages", "run.output_dir", "tokenizer.path", "tokenizer.text_field", "tokenizer.pattern",
          "data.text_field", "data.output_dir", "data.synth_output", "checkpoint.dir", "generate.output_file"}
REQUIRED = {"run.name", "run.stages"}


def deck_schema(effective_text):
    """Section -> key -> a sample value of the key's type, from `hermes deck`'s full listing."""
    doc = tomllib.loads(effective_text)
    doc.setdefault("model", {})["vocab_size"] = 512  # optional: listed only when set
    return doc


def value_problem(full, value, proto):
    if full == "run.resume":
        return None if isinstance(value, bool) or value == "auto" else "resume type"
    if isinstance(proto, bool):
        return None if isinstance(value, bool) else "not a boolean"
    if isinstance(proto, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return "not an integer"
        if not -(1 << 63) <= value < (1 << 63):
            return "beyond 64 bits"
        return range_problem(full, value)
    if isinstance(proto, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "not a number"
        return range_problem(full, float(value))
    if isinstance(proto, str):
        if not isinstance(value, str):
            return "not a string"
        if full in FILLED and value == "":
            return "empty"
        if full in CHOICES and value not in CHOICES[full]:
            return "not a choice"
        return None
    if isinstance(proto, list):
        if not isinstance(value, list) or any(not isinstance(x, str) for x in value):
            return "not an array of strings"
        if full in CHOICES and any(x not in CHOICES[full] for x in value):
            return "not a choice"
        if full in FILLED and not value:
            return "empty"
        return None
    return None


def range_problem(full, value):
    if full not in RANGES:
        return None
    lo, hi, excl = RANGES[full]
    if isinstance(value, float) and not math.isfinite(value):
        return "not finite"
    if lo is not None and (value <= lo if excl else value < lo):
        return "below range"
    if hi is not None and value > hi:
        return "above range"
    return None


def deck_problem(data, schema):
    """Why hermes must refuse this deck, or None when it might be valid."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid UTF-8"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return f"TOML syntax ({e})"
    for section, body in doc.items():
        if section not in schema or not isinstance(body, dict):
            return f"unknown or non-table top-level '{section}'"
        for key, value in body.items():
            if key not in schema[section]:
                return f"unknown key {section}.{key}"
            why = value_problem(f"{section}.{key}", value, schema[section][key])
            if why:
                return f"{section}.{key}: {why}"
    for full in REQUIRED:
        section, key = full.split(".")
        if key not in doc.get(section, {}):
            return f"missing {full}"
    run = doc.get("run", {})
    stages = run.get("stages", [])
    if len(set(stages)) != len(stages):
        return "stage twice"
    if not re.fullmatch(r"[A-Za-z0-9._-]*", run.get("name", "")):
        return "run.name characters"
    return None


# ---------------------------------------------------------------------------------------------
# Corpus oracle (docs/data.md's record rules)

ROLES = {"system", "human", "gpt", "tool", "user", "assistant"}


def sharegpt_problem(line):
    try:
        r = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return "malformed JSON"
    if not isinstance(r, dict) or "conversations" not in r:
        return "no conversations"
    c = r["conversations"]
    if not isinstance(c, list) or not c:
        return "conversations not a non-empty array"
    for m in c:
        if not isinstance(m, dict) or not isinstance(m.get("from"), str) or not isinstance(m.get("value"), str):
            return "turn without string from/value"
        if m["from"] not in ROLES:
            return "unknown role"
    t = r.get("tools")
    if t is not None:
        if isinstance(t, str):
            if t:
                try:
                    json.loads(t)
                except ValueError:
                    return "tools string not JSON"
        elif not isinstance(t, list):
            return "tools of another type"
    return None


def corpus_problem(data):
    for line in data.split(b"\n"):
        if not line.strip(b" \t\r"):
            continue
        if line.isspace():
            return None  # other whitespace: leave the call to hermes
        why = sharegpt_problem(line)
        if why:
            return why
    return None


# ---------------------------------------------------------------------------------------------
# HDF5 helpers and the HDF5 oracle (run in a child process: a damaged file must not take the
# test itself down if the library trips over it)

def h5_copy(src, dst, data_fn=None, drop=(), attrs_fn=None):
    """Rewrites src into dst: data_fn(name, array) may replace a dataset (None: keep), datasets
    in `drop` are left out, attrs_fn(path, dict) may edit each object's attributes."""
    with h5py.File(src, "r") as fin, h5py.File(dst, "w", libver=("v108", "latest")) as fout:
        def attrs_of(obj, path):
            a = {k: v for k, v in obj.attrs.items()}
            if attrs_fn:
                attrs_fn(path, a)
            return a

        for k, v in attrs_of(fin, "/").items():
            fout.attrs[k] = v

        def copy(name, obj):
            if name in drop:
                return
            if isinstance(obj, h5py.Group):
                g = fout.require_group(name)
                for k, v in attrs_of(obj, name).items():
                    g.attrs[k] = v
                return
            data = obj[()]
            new = data_fn(name, data) if data_fn else None
            data = data if new is None else new
            if data.ndim and data.size:
                fout.create_dataset(name, data=data, chunks=True, fletcher32=True)
            else:
                fout.create_dataset(name, data=data)

        fin.visititems(copy)


def h5_oracle_main(kind, paths):
    """Child process: prints, per file, whether reading what hermes reads fails (1) or not (0)."""
    for path in paths:
        verdict = 0
        try:
            with h5py.File(path, "r") as f:
                if kind == "shard":
                    for k in ["format", "format_version", "tokenizer_fingerprint", "vocab_size", "split", "sources",
                              "documents", "tokens"]:
                        f.attrs[k]
                    "loss_mask" in f
                    f["tokens"][()]
                    if "loss_mask" in f:
                        f["loss_mask"][()]
                else:
                    for k in ["format", "optimizer", "deck", "tokenizer", "tokenizer_fingerprint", "model"]:
                        f.attrs[k]
                    for k in ["step", "tokens_seen", "loader_epoch", "loader_position", "loader_seed",
                              "best_val_loss", "rng"]:
                        f["state"].attrs[k]
                    for name in f["model"]:
                        f["model"][name][()]
        except Exception:
            verdict = 1
        print(f"{verdict} {path}", flush=True)


def oracle_flips(rng, raw, kind, tries, oracle_dir, keep=5):
    """Up to `keep` random byte flips (position, mask) of an HDF5 file that the h5py oracle also
    finds damaged, drawn from `tries` candidates."""
    os.makedirs(oracle_dir, exist_ok=True)
    candidates = []
    for _ in range(tries):
        pos, mask = rng.randrange(len(raw)), random_mask(rng)
        path = os.path.join(oracle_dir, f"{kind}_{pos}_{mask:02x}.h5")
        write(path, flip(raw, pos, mask))
        candidates.append((pos, mask, path))
    verdicts = h5_oracle(kind, [c[2] for c in candidates])
    for _, _, path in candidates:
        os.remove(path)
    return [(pos, mask) for pos, mask, path in candidates if verdicts.get(path)][:keep]


def h5_oracle(kind, paths):
    """Which damaged copies hermes must refuse: {path: True}; a file the child could not
    finish (it crashed on it) counts as undecided."""
    verdicts, todo = {}, list(paths)
    while todo:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--h5-oracle", kind] + todo,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        done = 0
        for line in p.stdout.decode().splitlines():
            flag, path = line.split(" ", 1)
            verdicts[path] = flag == "1"
            done += 1
        todo = todo[done + 1:]  # the one after the last answer took the child down: undecided
    return verdicts


# ---------------------------------------------------------------------------------------------
# Safetensors (the reader's format: 8-byte little-endian header length, JSON header, data)

def st_read(path):
    raw = read(path)
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for k, e in header.items():
        if k == "__metadata__":
            continue
        b, end = e["data_offsets"]
        tensors[k] = [e["dtype"], e["shape"], data[b:end]]
    return tensors, header.get("__metadata__")


def st_write(path, tensors, metadata=None, header_edit=None):
    header, blob, offset = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for k, (dtype, shape, data) in tensors.items():
        header[k] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blob += data
        offset += len(data)
    if header_edit:
        header_edit(header)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    write(path, struct.pack("<Q", len(text)) + text + blob)


# ---------------------------------------------------------------------------------------------
# The good inputs

GOOD_DECK = """\
[run]
name = "good"
stages = ["synth", "tokenizer", "prepare", "pretrain"]
seed = 7
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 200
loss_mask = "assistant"
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
context_length = 64
ffn = "swiglu"
[train]
batch_size = 4
seq_len = 64
max_steps = 4
log_interval = 2
[eval]
interval = 0
batches = 2
test_at_end = false
tool_eval = false
[checkpoint]
interval = 2
keep_last = 2
save_best = false
"""

MINI_DECK = """\
[run]
name = "d"
stages = ["info"]
[model]
preset = "nano"
context_length = 64
[train]
batch_size = 4
seq_len = 64
"""


class Good:
    """Paths of the good inputs every variant is derived from."""

    def __init__(self, work):
        self.work = work
        self.dir = os.path.join(work, "good")
        self.run = os.path.join(self.dir, "runs", "good")
        self.tok = os.path.join(self.run, "tokenizer.json")
        self.synth = os.path.join(self.run, "synth.jsonl")
        self.data = os.path.join(self.run, "data")
        self.ckpt = os.path.join(self.run, "checkpoints", "final.h5")
        self.hf = os.path.join(self.dir, "hf")
        self.decks = os.path.join(self.dir, "decks")
        self.other_tok = os.path.join(self.dir, "other_tokenizer.json")


def build_good(run, work):
    g = Good(work)
    os.makedirs(g.decks, exist_ok=True)
    write(os.path.join(g.dir, "deck.toml"), GOOD_DECK)
    steps = [
        (["run", "deck.toml"], "the good run"),
        (["export", "--checkpoint", g.ckpt, "--format", "hf", "--output", g.hf], "the HuggingFace export"),
        (["train-tokenizer", "--input", g.synth, "--output", g.other_tok, "--vocab-size", "300",
          "--format", "sharegpt"], "a second tokenizer"),
        (["deck", "deck.toml"], "the effective deck"),
    ]
    effective = None
    for args, what in steps:
        r = run(args, g.dir, timeout=300)
        if r.rc != 0:
            sys.stderr.write(f"adversarial: building {what} failed (exit {r.rc}):\n"
                             f"{(r.out + r.err).decode(errors='replace')}\n")
            sys.exit(1)
        effective = r.out.decode()
    g.schema = deck_schema(effective)
    # The deck class mutates the full listing (every key, with comments), made cheap to run.
    g.full_deck = re.sub(r'^stages = \[[^\]]*\]', 'stages = ["info"]', effective, count=1, flags=re.M).encode()
    g.full_deck = re.sub(rb'^name = "good"', b'name = "d"', g.full_deck, count=1, flags=re.M)
    write(os.path.join(g.decks, "full.toml"), g.full_deck)
    write(os.path.join(g.decks, "mini.toml"), MINI_DECK)
    write(os.path.join(g.decks, "prepare.toml"), f"""\
[run]
name = "prep"
stages = ["prepare"]
seed = 7
[tokenizer]
path = {json.dumps(g.tok)}
[data]
format = "sharegpt"
inputs = ["corpus.jsonl"]
output_dir = "data"
""")
    write(os.path.join(g.decks, "evaluate.toml"), f"""\
[run]
name = "ev"
stages = ["evaluate"]
seed = 7
[tokenizer]
path = {json.dumps(g.tok)}
[data]
output_dir = "data"
[model]
preset = "nano"
context_length = 64
ffn = "swiglu"
[train]
batch_size = 4
seq_len = 64
[eval]
batches = 2
tool_eval = false
[generate]
checkpoint = {json.dumps(g.ckpt)}
""")
    write(os.path.join(g.decks, "resume.toml"), f"""\
[run]
name = "ck"
stages = ["evaluate"]
seed = 7
resume = true
[tokenizer]
path = {json.dumps(g.tok)}
[data]
output_dir = {json.dumps(g.data)}
[model]
preset = "nano"
context_length = 64
ffn = "swiglu"
[train]
batch_size = 4
seq_len = 64
max_steps = 6
[eval]
batches = 2
tool_eval = false
test_at_end = false
""")
    write(os.path.join(g.decks, "pretrain.toml"), f"""\
[run]
name = "pt"
stages = ["pretrain"]
seed = 7
[tokenizer]
path = {json.dumps(g.tok)}
[data]
output_dir = {json.dumps(g.data)}
[model]
preset = "nano"
context_length = 64
ffn = "swiglu"
[train]
batch_size = 4
seq_len = 64
max_steps = 1
[eval]
interval = 0
batches = 1
tool_eval = false
test_at_end = false
""")
    return g


# ---------------------------------------------------------------------------------------------
# Variant generators. Each returns a list of (Variant, setup) where setup(dir) writes the
# variant's files into its own working directory and returns nothing.

def V(cls, name, args, setup=None, **kw):
    v = Variant(cls, name, args, **kw)
    v.setup = setup or (lambda d: None)
    return v


def gen_control(g):
    """Good inputs through the same commands the classes use: they must all succeed, or the
    variants prove nothing."""
    out = []

    def copy_data(d):
        shutil.copytree(g.data, os.path.join(d, "data"))

    out.append(V("control", "deck_mini", ["run", os.path.join(g.decks, "mini.toml")], expect="ok"))
    out.append(V("control", "deck_full", ["run", os.path.join(g.decks, "full.toml")], expect="ok"))
    out.append(V("control", "tokenize", ["tokenize", "--tokenizer", g.tok, "hello world"], expect="ok"))
    out.append(V("control", "prepare", ["run", os.path.join(g.decks, "prepare.toml")], expect="ok",
                 setup=lambda d: shutil.copy(g.synth, os.path.join(d, "corpus.jsonl"))))
    out.append(V("control", "evaluate", ["run", os.path.join(g.decks, "evaluate.toml")], setup=copy_data, expect="ok"))
    out.append(V("control", "generate", gen_args(g, g.ckpt), expect="ok"))
    out.append(V("control", "export", ["export", "--checkpoint", g.ckpt, "--format", "gguf", "--output", "m.gguf"],
                 expect="ok"))
    out.append(V("control", "import", ["import", "--from", g.hf, "--output", "imported"], expect="ok"))
    out.append(V("control", "prompts", gen_args(g, g.ckpt, prompts="prompts.jsonl"), expect="ok",
                 setup=lambda d: write(os.path.join(d, "prompts.jsonl"), b'{"prompt": "hi"}\n{"prompt": "yo"}\n')))

    def resume_setup(d):
        shutil.copytree(os.path.join(g.run, "checkpoints"), os.path.join(d, "runs", "ck", "checkpoints"))
    out.append(V("control", "resume", ["run", os.path.join(g.decks, "resume.toml")], setup=resume_setup, expect="ok"))
    return out


def gen_args(g, ckpt, prompts=None, tok=None, extra=()):
    args = ["generate", "--checkpoint", ckpt, "--tokenizer", tok or g.tok, "--max-tokens", "1", "--temperature", "0"]
    args += ["--prompts-file", prompts] if prompts else ["--prompt", "hi"]
    return args + list(extra)


def gen_decks(g, rng):
    out = []
    mini = MINI_DECK

    def deck_variant(name, text, cls="deck", expect="fail"):
        data = text if isinstance(text, bytes) else text.encode()
        out.append(V(cls, name, ["run", "deck.toml"], setup=lambda d: write(os.path.join(d, "deck.toml"), data),
                     expect=expect))

    def with_line(section, line):
        """The mini deck with `line` added at the top of [section] (the section added if absent)."""
        if f"[{section}]\n" in mini:
            return mini.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)
        return mini + f"[{section}]\n{line}\n"

    def replace_line(old, new):
        assert old in mini
        return mini.replace(old, new, 1)

    # TOML syntax errors.
    syntax = {
        "header_unclosed": replace_line("[train]", "[train"),
        "header_double_bracket": replace_line("[train]", "[train]]"),
        "value_missing": replace_line("batch_size = 4", "batch_size ="),
        "key_missing": with_line("train", "= 5"),
        "string_unterminated": replace_line('name = "d"', 'name = "d'),
        "literal_unterminated": replace_line('name = "d"', "name = 'd"),
        "multiline_unterminated": replace_line('name = "d"', 'name = """d'),
        "array_unterminated": replace_line('stages = ["info"]', 'stages = ["info"'),
        "array_double_comma": replace_line('stages = ["info"]', 'stages = ["info",, "synth"]'),
        "two_values": replace_line("batch_size = 4", "batch_size = 4 5"),
        "duplicate_key": replace_line("batch_size = 4", "batch_size = 4\nbatch_size = 5"),
        "duplicate_table": mini + "[train]\ngrad_accum = 2\n",
        "table_then_array_of_tables": mini + "[[train]]\ngrad_accum = 2\n",
        "hex_without_digits": replace_line("batch_size = 4", "batch_size = 0x"),
        "double_underscore": replace_line("batch_size = 4", "batch_size = 1__0"),
        "double_sign": replace_line("batch_size = 4", "batch_size = +-1"),
        "exponent_without_digits": with_line("optim", "lr = 1e"),
        "leading_dot_float": with_line("optim", "lr = .5"),
        "bad_escape": replace_line('name = "d"', 'name = "\\q"'),
        "surrogate_escape": replace_line('name = "d"', 'name = "\\uD800"'),
        "inline_table_unclosed": replace_line("batch_size = 4", "batch_size = {a = 1"),
        "bad_datetime": replace_line("batch_size = 4", "batch_size = 1979-05-27T"),
        "trailing_garbage": replace_line('stages = ["info"]', 'stages = ["info"] extra'),
        "bare_key_with_space": replace_line("batch_size = 4", "batch size = 4"),
        "stages_redefined_as_table": mini + "[run.stages]\nx = 1\n",
        "nul_byte": replace_line('name = "d"', 'name = "d"\x00'),
        "lone_cr": replace_line('name = "d"\n', 'name = "d"\r'),
        "control_char_in_string": replace_line('name = "d"', 'name = "d\x01"'),
        "control_char_in_comment": replace_line("batch_size = 4", "batch_size = 4 # \x07bell"),
        "deep_array": replace_line("batch_size = 4", "batch_size = " + "[" * 20000 + "]" * 20000),
        "deep_inline_table": replace_line("batch_size = 4", "batch_size = " + "{a=" * 20000 + "1" + "}" * 20000),
        "unclosed_deep_array": replace_line("batch_size = 4", "batch_size = " + "[" * 20000),
    }
    for name, text in pick(rng, syntax.items(), 24):
        deck_variant(f"syntax_{name}", text)

    # Wrong types.
    types = [
        ("run", 'name = 5'), ("run", 'stages = "info"'), ("run", "stages = [1]"), ("run", 'stages = [["info"]]'),
        ("run", 'seed = "7"'), ("run", "seed = 7.0"), ("run", "seed = true"), ("run", 'resume = "yes"'),
        ("run", "resume = 1"), ("run", "log_level = 3"),
        ("tokenizer", "vocab_size = 512.0"), ("tokenizer", 'special_tokens = "x"'), ("tokenizer", "special_tokens = [1]"),
        ("tokenizer", "inputs = {a = 1}"),
        ("data", 'inputs = "a.txt"'), ("data", 'val_fraction = "0.1"'), ("data", 'one_doc_per_file = "false"'),
        ("data", "skip_bad_records = 0"), ("data", "shard_tokens = 1e6"),
        ("model", "n_layer = 2.5"), ("model", 'preset = ["nano"]'), ("model", 'bias = "true"'),
        ("model", 'rope_theta = "1e4"'), ("model", "vocab_size = true"),
        ("train", 'batch_size = "4"'), ("train", "batch_size = [4]"), ("train", "batch_size = {v = 4}"),
        ("train", "max_steps = 1979-05-27"), ("train", "seq_len = 64.0"), ("train", "batch_size.x = 1"),
        ("optim", 'lr = "3e-4"'), ("optim", "lr = [0.001]"), ("optim", "name = 1"),
        ("eval", "tool_eval = 1"), ("checkpoint", 'save_best = "yes"'), ("generate", 'stop = "x"'),
        ("generate", "stop = [1]"), ("generate", "temperature = true"), ("parallel", 'zero1 = "no"'),
        ("parallel", 'bucket_mb = "25"'),
    ]
    for section, line in pick(rng, types, 14):
        key = line.split("=")[0].strip()
        value = re.sub(r"[^a-z0-9]+", "_", line.split("=", 1)[1].strip().lower()).strip("_")[:16]
        deck_variant(f"type_{section}_{key}_{value}", dedupe_key(with_line(section, line), section, key))
    deck_variant("type_section_as_value", "run = 5\n" + mini)
    deck_variant("type_key_outside_section", 'stages = ["info"]\n' + mini)

    # Unknown keys and sections.
    unknown = [("train", "bach_size = 4"), ("train", "lr = 0.1"), ("run", "Name = \"x\""), ("model", "layers = 2"),
               ("parallel", "ranks = 2"), ("export", 'path = "x"'), ("train", "\"\" = 1"),
               ("train", "b\u00e4tch_size = 4"), ("train", "a" * 100000 + " = 1")]
    for section, line in pick(rng, unknown, 6):
        deck_variant(f"unknown_{section}_{re.sub(r'[^a-z0-9]+', '_', line.split('=')[0].strip().lower())[:16] or 'empty'}",
                     with_line(section, line))
    deck_variant("unknown_section", mini + "[trian]\nbatch_size = 4\n")
    deck_variant("unknown_subtable", mini + "[run.sub]\nx = 1\n")

    # Out-of-range numbers, nan and inf, bad enums, empty values, cross-key contradictions.
    ranges = [
        ("run", "seed = -1"), ("tokenizer", "vocab_size = 255"), ("tokenizer", "vocab_size = 16777217"),
        ("tokenizer", "vocab_size = 260"), ("tokenizer", "min_frequency = 0"), ("tokenizer", "max_bytes = -1"),
        ("data", "shard_tokens = 1023"), ("data", "val_fraction = 0.6"), ("data", "test_fraction = -0.1"),
        ("data", "data_fraction = 0"), ("data", "data_fraction = 1.5"), ("data", "synth_conversations = 0"),
        ("data", "val_fraction = 0.5\ntest_fraction = 0.4"), ("data", 'format = "csv"'), ("data", 'loss_mask = "none"'),
        ("model", 'preset = "gpt5"'), ("model", "n_layer = 0"), ("model", "n_layer = 1025"), ("model", "n_embd = 7"),
        ("model", "n_head = 0"), ("model", "n_head = 3"), ("model", "n_kv_head = 3"), ("model", "n_head = 64"),
        ("model", 'ffn = "relu"'), ("model", "norm_eps = 0"), ("model", "norm_eps = 2.0"), ("model", "init_std = -0.1"),
        ("model", "rope_theta = -inf"), ("model", "rope_theta = nan"), ("model", "vocab_size = 100"),
        ("train", "grad_accum = 0"), ("train", "seq_len = -1"), ("train", "epochs = 0"), ("train", "epochs = nan"),
        ("train", "log_interval = 0"), ("train", "grad_clip = -1"), ("train", 'precision = "fp16"'),
        ("optim", "lr = 0"), ("optim", "lr = 11"), ("optim", "lr = nan"), ("optim", "lr = inf"), ("optim", "lr = -inf"),
        ("optim", "min_lr_ratio = 1.5"), ("optim", "beta1 = 1.1"), ("optim", "beta2 = -0.5"), ("optim", "eps = 0"),
        ("optim", "ns_steps = 0"), ("optim", "ns_steps = 21"), ("optim", 'name = "sgd"'), ("optim", 'schedule = "linear"'),
        ("optim", "weight_decay = 2"), ("eval", "batches = 0"), ("eval", "tool_eval_max = 0"),
        ("checkpoint", "keep_last = 0"), ("checkpoint", "interval = -1"), ("checkpoint", 'dir = ""'),
        ("generate", "max_tokens = 0"), ("generate", "temperature = -1"), ("generate", "top_p = 0"),
        ("generate", "top_p = 1.5"), ("generate", "top_k = -1"), ("generate", "samples = -1"),
        ("generate", 'prompt_overflow = "drop"'), ("generate", 'output_file = ""'), ("export", 'format = "onnx"'),
        ("export", 'dtype = "q4_0"'), ("parallel", 'backend = "tpu"'), ("parallel", "bucket_mb = 0"),
        ("parallel", "bucket_mb = nan"), ("run", 'log_level = "trace"'), ("run", 'output_dir = ""'),
        ("tokenizer", 'special_tokens = ["a", "a"]'), ("tokenizer", 'special_tokens = [""]'),
        ("tokenizer", 'pattern = ""'), ("data", 'output_dir = ""'),
    ]
    for section, line in pick(rng, ranges, 24):
        key = line.split("=")[0].strip()
        value = re.sub(r"[^a-z0-9.+-]+", "_", line.split("=", 1)[1].strip().split("\n")[0].lower()).strip("_")[:12]
        deck_variant(f"range_{section}_{key}_{value or 'empty'}", dedupe_key(with_line(section, line), section, key))
    deck_variant("range_train_batch_size_0", replace_line("batch_size = 4", "batch_size = 0"))
    deck_variant("range_train_batch_size_neg", replace_line("batch_size = 4", "batch_size = -1"))
    deck_variant("range_train_seq_len_beyond_context", replace_line("seq_len = 64", "seq_len = 65"))
    deck_variant("range_int_beyond_64_bits", replace_line("batch_size = 4", "batch_size = 99999999999999999999"))
    deck_variant("range_float_overflow", with_line("optim", "lr = 1e999"))
    for name, value in [("empty", "[]"), ("unknown", '["bogus"]'), ("twice", '["info", "info"]')]:
        deck_variant(f"stages_{name}", replace_line('stages = ["info"]', f"stages = {value}"))
    for name, value in [("empty", '""'), ("slash", '"a/b"'), ("dotdot", '"../x"'), ("space", '"a b"'),
                        ("newline", '"a\\nb"')]:
        deck_variant(f"name_{name}", replace_line('name = "d"', f"name = {value}"))
    deck_variant("missing_stages", replace_line('stages = ["info"]\n', ""))
    deck_variant("missing_name", replace_line('name = "d"\n', ""))
    deck_variant("missing_run", mini.split("[model]")[0].replace("[run]\n", "") + "[model]" + mini.split("[model]")[1])
    deck_variant("empty_file", b"")
    deck_variant("comments_only", b"# nothing here\n# at all\n")
    deck_variant("prepare_without_inputs", replace_line('stages = ["info"]', 'stages = ["prepare"]') +
                 '[data]\ninputs = []\n')

    # Byte-level damage to the full listing: kept only where the oracle proves the result invalid.
    full = g.full_deck
    kept = 0
    for attempt in range(4000):
        if kept >= 6:
            break
        cut = rng.randrange(1, len(full))
        data = full[:cut]
        why = deck_problem(data, g.schema)
        if why:
            deck_variant(f"bytes_truncated_at_{cut}", data, cls="deck_bytes")
            kept += 1
    for pos, mask, data in damaging_flips(rng, full, 10, lambda pos, data: deck_problem(data, g.schema)):
        deck_variant(f"bytes_flip_{pos}_x{mask:02x}", data, cls="deck_bytes")
    for seq in pick(rng, [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"], 3):
        pos = rng.randrange(len(full))
        deck_variant(f"bytes_invalid_utf8_{seq.hex()}_at_{pos}", full[:pos] + seq + full[pos:], cls="deck_bytes")
    deck_variant("bytes_invalid_utf8_in_comment", mini.encode() + b"# caf\xe9\n", cls="deck_bytes")
    deck_variant("bytes_invalid_utf8_in_string", mini.replace('name = "d"', 'name = "d\udcff"').encode(
        "utf-8", "surrogateescape"), cls="deck_bytes")
    deck_variant("bytes_random_garbage", bytes(rng.randrange(256) for _ in range(4096)), cls="deck_bytes")

    # A deck that is not a file.
    out.append(V("deck", "file_directory", ["run", "deckdir"], setup=lambda d: os.mkdir(os.path.join(d, "deckdir"))))
    out.append(V("deck", "file_fifo", ["run", "pipe.toml"], setup=lambda d: os.mkfifo(os.path.join(d, "pipe.toml"))))
    out.append(V("deck", "file_device", ["run", "/dev/null"]))
    out.append(V("deck", "file_missing", ["run", "missing.toml"]))
    out.append(V("deck", "file_name_invalid_utf8", ["run", b"deck\xff.toml"],
                 setup=lambda d: write(os.path.join(os.fsencode(d), b"deck\xff.toml"), b"[run]\n")))
    out.append(V("deck", "two_decks", ["run", os.path.join(g.decks, "mini.toml"), os.path.join(g.decks, "mini.toml")]))
    return out


def dedupe_key(text, section, key):
    """Drops the mini deck's own line for key when the variant adds the same key again."""
    lines = text.split("\n")
    current, seen = None, False
    kept = []
    for line in lines:
        m = re.match(r"^\[([^\]]+)\]$", line)
        if m:
            current = m.group(1)
        elif current == section and re.match(rf"^{re.escape(key)}\s*=", line):
            if seen:
                continue  # the mini deck's line comes after the added one
            seen = True
        kept.append(line)
    return "\n".join(kept)


def gen_overrides(g, rng):
    mini = os.path.join(g.decks, "mini.toml")
    cases = [
        ("equals_only", ["="]), ("no_key", ["=1"]), ("no_dot", ["train=4"]), ("empty_section", [".batch_size=4"]),
        ("empty_key", ["train.=4"]), ("no_value_second_deck", ["train.batch_size"]),
        ("double_equals", ["train.batch_size==4"]), ("empty_value", ["train.batch_size="]),
        ("word_for_int", ["train.batch_size=abc"]), ("float_for_int", ["train.batch_size=4.5"]),
        ("negative", ["train.batch_size=-4"]), ("beyond_64_bits", ["train.batch_size=99999999999999999999"]),
        ("array_for_int", ["train.batch_size=[4]"]), ("table_for_int", ["train.batch_size={a=1}"]),
        ("nan", ["optim.lr=nan"]), ("minus_inf", ["optim.lr=-inf"]), ("overflow", ["optim.lr=1e999"]),
        ("zero_lr", ["optim.lr=0"]), ("unknown_section", ["foo.bar=1"]), ("unknown_key", ["train.bogus=1"]),
        ("dotted_key", ["train.batch_size.x=1"]), ("space_in_key", ["train. batch_size=4"]),
        ("array_unterminated", ['run.stages=["info"']), ("stages_empty", ["run.stages=[]"]),
        ("stages_bare", ["run.stages=info"]), ("stages_twice", ['run.stages=["info","info"]']),
        ("name_slash", ["run.name=a/b"]), ("name_too_long", ["run.name=" + "a" * 300]),
        ("name_invalid_utf8", [b"run.name=\xff"]), ("name_truncated_utf8", [b"run.name=a\xc3"]),
        ("value_invalid_utf8_quoted", [b'run.name="\xfe"']), ("key_invalid_utf8", [b"train.\xff=1"]),
        ("section_invalid_utf8", [b"\xff.x=1"]), ("prompt_invalid_utf8", [b"generate.prompt=\xff\xfe"]),
        ("bad_enum", ["model.preset=nan0"]), ("resume_word", ["run.resume=maybe"]),
        ("fractions_sum", ["data.val_fraction=0.5", "data.test_fraction=0.45"]),
        ("section_as_value", ["run.stages.x=1"]),
    ]
    return [V("override", name, ["run", mini] + args) for name, args in cases]


def gen_cli(g, rng):
    t, c = g.tok, g.ckpt
    cases = [
        ("unknown_subcommand", ["trian"]), ("unknown_flag", ["run", "--no-such-flag"]),
        ("flag_invalid_utf8", ["run", b"--\xff"]), ("generate_max_tokens_word", gen_args(g, c)[:5] + ["--max-tokens", "abc"]),
        ("generate_max_tokens_negative", gen_args(g, c, extra=["--max-tokens", "-1"])),
        ("generate_max_tokens_zero", gen_args(g, c, extra=["--max-tokens", "0"])),
        ("generate_temperature_nan", gen_args(g, c, extra=["--temperature", "nan"])),
        ("generate_temperature_negative", gen_args(g, c, extra=["--temperature", "-1"])),
        ("generate_top_p_zero", gen_args(g, c, extra=["--top-p", "0"])),
        ("generate_top_p_two", gen_args(g, c, extra=["--top-p", "2"])),
        ("generate_top_k_word", gen_args(g, c, extra=["--top-k", "x"])),
        ("generate_seed_negative", gen_args(g, c, extra=["--seed", "-5"])),
        ("generate_missing_checkpoint", gen_args(g, "missing.h5")),
        ("generate_missing_tokenizer", gen_args(g, c, tok="missing.json")),
        ("generate_checkpoint_flag_without_value", ["generate", "--checkpoint"]),
        ("generate_prompt_invalid_utf8", gen_args(g, c)[:-2] + ["--prompt", b"\xff\xfe hi"]),
        ("info_unknown_preset", ["info", "--preset", "gpt5"]), ("info_batch_zero", ["info", "--batch", "0"]),
        ("info_seq_len_negative", ["info", "--preset", "nano", "--seq-len", "-5"]),
        ("info_vocab_tiny", ["info", "--vocab-size", "10"]), ("info_vocab_negative", ["info", "--vocab-size", "-1"]),
        ("info_preset_vocab_tiny", ["info", "--preset", "nano", "--vocab-size", "10"]),
        ("info_precision", ["info", "--precision", "fp8"]), ("info_optim", ["info", "--optim", "sgd"]),
        ("synth_count_zero", ["synth", "--output", "s.jsonl", "--count", "0"]),
        ("synth_count_negative", ["synth", "--output", "s.jsonl", "--count", "-1"]),
        ("synth_count_word", ["synth", "--output", "s.jsonl", "--count", "many"]),
        ("synth_seed_negative", ["synth", "--output", "s.jsonl", "--count", "2", "--seed", "-1"]),
        ("train_tokenizer_no_output", ["train-tokenizer", "--input", g.synth]),
        ("train_tokenizer_vocab_tiny", ["train-tokenizer", "--input", g.synth, "--output", "t.json", "--vocab-size", "10"]),
        ("train_tokenizer_bad_regex", ["train-tokenizer", "--input", g.synth, "--output", "t.json", "--vocab-size",
                                       "300", "--pattern", "(("]),
        ("train_tokenizer_min_frequency_zero", ["train-tokenizer", "--input", g.synth, "--output", "t.json",
                                                "--min-frequency", "0"]),
        ("train_tokenizer_format", ["train-tokenizer", "--input", g.synth, "--output", "t.json", "--format", "xml"]),
        ("train_tokenizer_missing_input", ["train-tokenizer", "--input", "missing.txt", "--output", "t.json"]),
        ("tokenize_no_tokenizer", ["tokenize", "hello"]), ("tokenize_no_text", ["tokenize", "--tokenizer", t]),
        ("tokenize_two_sources", ["tokenize", "--tokenizer", t, "--file", g.synth, "hello"]),
        ("tokenize_decode_unterminated", ["tokenize", "--tokenizer", t, "--decode", "[1,2"]),
        ("tokenize_decode_string", ["tokenize", "--tokenizer", t, "--decode", '"abc"']),
        ("tokenize_decode_negative", ["tokenize", "--tokenizer", t, "--decode", "[-1]"]),
        ("tokenize_decode_float", ["tokenize", "--tokenizer", t, "--decode", "[1.5]"]),
        ("tokenize_decode_nested", ["tokenize", "--tokenizer", t, "--decode", "[[1]]"]),
        ("tokenize_file_missing", ["tokenize", "--tokenizer", t, "--file", "missing.txt"]),
        ("tokenize_file_directory", ["tokenize", "--tokenizer", t, "--file", "."]),
        ("tokenize_jsonl_missing", ["tokenize", "--tokenizer", t, "--jsonl", "missing.jsonl"]),
        ("export_format", ["export", "--checkpoint", c, "--format", "onnx", "--output", "m.onnx"]),
        ("export_dtype", ["export", "--checkpoint", c, "--format", "gguf", "--dtype", "q4", "--output", "m.gguf"]),
        ("export_hf_q8", ["export", "--checkpoint", c, "--format", "hf", "--dtype", "q8_0", "--output", "hf"]),
        ("export_no_checkpoint", ["export", "--format", "gguf", "--output", "m.gguf"]),
        ("import_no_from", ["import", "--output", "x"]), ("import_missing", ["import", "--from", "missing", "--output", "x"]),
        ("import_from_file", ["import", "--from", g.synth, "--output", "x"]),
        ("import_from_empty_dir", ["import", "--from", ".", "--output", "x"]),
    ]
    out = [V("cli", name, args) for name, args in cases]
    # Decoding ids the vocabulary lacks may be refused or skipped (as HuggingFace skips them).
    out.append(V("cli", "tokenize_decode_out_of_vocab", ["tokenize", "--tokenizer", t, "--decode", "[99999]"],
                 expect="clean"))
    out.append(V("cli", "tokenize_decode_huge_id", ["tokenize", "--tokenizer", t, "--decode", "[4294967296]"]))
    out.append(V("cli", "tokenize_jsonl_bad_line", ["tokenize", "--tokenizer", t, "--jsonl", "in.jsonl"],
                 setup=lambda d: write(os.path.join(d, "in.jsonl"), b'{"text": "ok"}\n{"text": \n')))
    out.append(V("cli", "tokenize_jsonl_no_field", ["tokenize", "--tokenizer", t, "--jsonl", "in.jsonl"],
                 setup=lambda d: write(os.path.join(d, "in.jsonl"), b'{"body": "ok"}\n')))
    out.append(V("cli", "tokenize_file_fifo", ["tokenize", "--tokenizer", t, "--file", "pipe"],
                 setup=lambda d: os.mkfifo(os.path.join(d, "pipe"))))
    out.append(V("cli", "tokenize_jsonl_fifo", ["tokenize", "--tokenizer", t, "--jsonl", "pipe"],
                 setup=lambda d: os.mkfifo(os.path.join(d, "pipe"))))
    return out


def gen_tokenizers(g, rng):
    base_raw = read(g.tok)
    base = json.loads(base_raw)
    vocab = base["model"]["vocab"]
    merges = base["model"]["merges"]
    out = []

    def tok_variant(name, data, expect="fail", text="hello world"):
        data = data if isinstance(data, bytes) else jdump(data)
        out.append(V("tokenizer", name, ["tokenize", "--tokenizer", "tokenizer.json", text], expect=expect,
                     setup=lambda d: write(os.path.join(d, "tokenizer.json"), data)))

    def edited(fn):
        t = json.loads(base_raw)
        fn(t)
        return t

    some_token = next(k for k, v in vocab.items() if v >= 300)
    merged = merges[0].split(" ")
    merged_token = merged[0] + merged[1]
    cases = {
        "top_level_array": [], "top_level_null": None, "top_level_string": "tokenizer", "empty_object": {},
        "model_array": edited(lambda t: t.__setitem__("model", [])),
        "model_missing": edited(lambda t: t.pop("model")),
        "model_type_wordpiece": edited(lambda t: t["model"].__setitem__("type", "WordPiece")),
        "model_type_number": edited(lambda t: t["model"].__setitem__("type", 5)),
        "vocab_array": edited(lambda t: t["model"].__setitem__("vocab", [])),
        "vocab_missing": edited(lambda t: t["model"].pop("vocab")),
        "vocab_id_string": edited(lambda t: t["model"]["vocab"].__setitem__(some_token, "300")),
        "vocab_id_negative": edited(lambda t: t["model"]["vocab"].__setitem__(some_token, -1)),
        "vocab_id_float": edited(lambda t: t["model"]["vocab"].__setitem__(some_token, 1.5)),
        "vocab_id_2_pow_31": edited(lambda t: t["model"]["vocab"].__setitem__(some_token, 1 << 31)),
        "vocab_id_2_pow_64": edited(lambda t: t["model"]["vocab"].__setitem__(some_token, 1 << 64)),
        "vocab_duplicate_id": edited(lambda t: t["model"]["vocab"].__setitem__(some_token, t["model"]["vocab"]["h"])),
        "merges_object": edited(lambda t: t["model"].__setitem__("merges", {})),
        "merges_missing": edited(lambda t: t["model"].pop("merges")),
        "merge_number": edited(lambda t: t["model"]["merges"].__setitem__(0, 5)),
        "merge_three_parts": edited(lambda t: t["model"]["merges"].__setitem__(0, "a b c")),
        "merge_one_part": edited(lambda t: t["model"]["merges"].__setitem__(0, "ab")),
        "merge_unknown_tokens": edited(lambda t: t["model"]["merges"].__setitem__(0, "zzzq qqqz")),
        "merge_pair_of_one": edited(lambda t: t["model"]["merges"].__setitem__(0, ["a"])),
        "merge_result_missing": edited(lambda t: t["model"]["vocab"].pop(merged_token)),
        "added_object": edited(lambda t: t.__setitem__("added_tokens", {})),
        "added_entry_string": edited(lambda t: t["added_tokens"].__setitem__(0, "x")),
        "added_id_missing": edited(lambda t: t["added_tokens"][0].pop("id")),
        "added_id_string": edited(lambda t: t["added_tokens"][0].__setitem__("id", "0")),
        "added_content_empty": edited(lambda t: t["added_tokens"][0].__setitem__("content", "")),
        "added_content_number": edited(lambda t: t["added_tokens"][0].__setitem__("content", 5)),
        "added_special_string": edited(lambda t: t["added_tokens"][0].__setitem__("special", "yes")),
        "added_id_clash": edited(lambda t: t["added_tokens"][0].__setitem__("id", 300)),
        "normalizer_lowercase": edited(lambda t: t.__setitem__("normalizer", {"type": "Lowercase"})),
        "normalizer_type_number": edited(lambda t: t.__setitem__("normalizer", {"type": 5})),
        "pre_tokenizer_null": edited(lambda t: t.__setitem__("pre_tokenizer", None)),
        "pre_tokenizer_whitespace": edited(lambda t: t.__setitem__("pre_tokenizer", {"type": "Whitespace"})),
        "pre_tokenizer_bad_regex": edited(lambda t: t.__setitem__("pre_tokenizer", split_then_byte_level("(("))),
        "pre_tokenizer_bad_behavior": edited(lambda t: t.__setitem__("pre_tokenizer", dict(
            split_then_byte_level(" "), pretokenizers=[{"type": "Split", "pattern": {"String": " "},
                                                        "behavior": "Sideways", "invert": False},
                                                       {"type": "ByteLevel", "use_regex": False}]))),
        "pre_tokenizer_sequence_object": edited(lambda t: t.__setitem__("pre_tokenizer",
                                                                        {"type": "Sequence", "pretokenizers": {}})),
        "decoder_wordpiece": edited(lambda t: t.__setitem__("decoder", {"type": "WordPiece"})),
        "byte_fallback": edited(lambda t: t["model"].__setitem__("byte_fallback", True)),
        "dropout": edited(lambda t: t["model"].__setitem__("dropout", 0.1)),
        "subword_prefix": edited(lambda t: t["model"].__setitem__("continuing_subword_prefix", "##")),
        "ignore_merges_string": edited(lambda t: t["model"].__setitem__("ignore_merges", "yes")),
    }
    for name, data in pick(rng, cases.items(), 28):
        tok_variant(name, data)
    tok_variant("empty_file", b"")
    tok_variant("invalid_utf8_in_token", base_raw.replace(b'"h"', b'"h\xff"', 1))
    tok_variant("lone_surrogate_escape", base_raw.replace(b'"h"', b'"\\ud800"', 1))
    tok_variant("deeply_nested", b'{"model": ' + b"[" * 200000 + b"]" * 200000 + b"}")
    tok_variant("number_overflow", base_raw.replace(b'"h": %d' % vocab["h"], b'"h": 1e400', 1))
    # A vocabulary with one huge id: a strange but possible file; refusing it or reading it are
    # both fine, running out of memory on it is not.
    tok_variant("vocab_id_huge", edited(lambda t: t["model"]["vocab"].__setitem__(some_token, (1 << 31) - 1)),
                expect="clean")
    # Patterns that match nothing or backtrack: any answer but a hang or a crash.
    tok_variant("split_empty_match", edited(lambda t: t.__setitem__("pre_tokenizer", split_then_byte_level("a*"))),
                expect="clean", text="aaab baa")
    tok_variant("split_backtracking", edited(lambda t: t.__setitem__("pre_tokenizer",
                                                                      split_then_byte_level("(a+)+$"))),
                expect="clean", text="a" * 40 + "!")
    # Truncations always cut the closing brace: never valid JSON.
    last = base_raw.rindex(b"}")
    for cut in truncation_points(rng, len(base_raw), 4, 0, last):
        tok_variant(f"truncated_at_{cut}", base_raw[:cut])
    for pos, mask, data in damaging_flips(rng, base_raw, 6, lambda pos, data: not_json(data)):
        tok_variant(f"flip_{pos}_x{mask:02x}", data)
    out.append(V("tokenizer", "file_directory", ["tokenize", "--tokenizer", ".", "hi"]))
    out.append(V("tokenizer", "file_fifo", ["tokenize", "--tokenizer", "pipe", "hi"],
                 setup=lambda d: os.mkfifo(os.path.join(d, "pipe"))))
    out.append(V("tokenizer", "file_missing", ["tokenize", "--tokenizer", "missing.json", "hi"]))
    # The same reader behind the other commands.
    bad = jdump(edited(lambda t: t["model"].pop("merges")))
    out.append(V("tokenizer", "via_generate_merges_missing", gen_args(g, g.ckpt, tok="tokenizer.json"),
                 setup=lambda d: write(os.path.join(d, "tokenizer.json"), bad)))
    out.append(V("tokenizer", "via_prepare_truncated", ["run", os.path.join(g.decks, "prepare.toml"),
                                                        'tokenizer.path="tokenizer.json"'],
                 setup=lambda d: (write(os.path.join(d, "tokenizer.json"), base_raw[:len(base_raw) // 2]),
                                  shutil.copy(g.synth, os.path.join(d, "corpus.jsonl")))))
    return out


def split_then_byte_level(regex):
    return {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}


def gen_corpora(g, rng):
    prep = os.path.join(g.decks, "prepare.toml")
    out = []

    def corpus(name, data, fmt="sharegpt", expect="fail", extra=()):
        fname = {"text": "corpus.txt", "jsonl": "corpus.jsonl", "sharegpt": "corpus.jsonl"}[fmt]
        out.append(V("corpus", name, ["run", prep, f'data.inputs=["{fname}"]', f"data.format={fmt}"] + list(extra),
                     expect=expect, setup=lambda d: write(os.path.join(d, fname), data)))

    good_turns = [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]
    for fmt in ["text", "jsonl", "sharegpt"]:
        corpus(f"{fmt}_empty", b"", fmt)
        corpus(f"{fmt}_blank_lines", b"\n\n   \n\t\n\r\n", fmt)
    jsonl_cases = {
        "not_json": b"this is not json\n", "array": b"[1, 2]\n", "missing_field": b'{"body": "x"}\n',
        "field_number": b'{"text": 5}\n', "field_null": b'{"text": null}\n',
        "invalid_utf8": b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "truncated_line": b'{"text": "a"}\n{"text": "b',
        "trailing_garbage": b'{"text": "a"}}\n', "lone_surrogate": b'{"text": "\\ud800"}\n',
        "nul_in_line": b'{"text": "a"}\x00{"text": "lost"\n',
    }
    for name, data in jsonl_cases.items():
        corpus(f"jsonl_{name}", data, "jsonl")
    sharegpt_cases = {
        "no_conversations": {"messages_typo": good_turns}, "conversations_string": {"conversations": "x"},
        "conversations_empty": {"conversations": []}, "turn_number": {"conversations": [5]},
        "turn_without_value": {"conversations": [{"from": "human"}]},
        "from_number": {"conversations": [{"from": 5, "value": "x"}]},
        "value_number": {"conversations": [{"from": "human", "value": 5}]},
        "role_unknown": {"conversations": [{"from": "bot", "value": "x"}]},
        "tools_not_json": {"conversations": good_turns, "tools": "[{not json"},
        "tools_number": {"conversations": good_turns, "tools": 5},
        "tools_object": {"conversations": good_turns, "tools": {"a": 1}},
    }
    for name, rec in sharegpt_cases.items():
        corpus(f"sharegpt_{name}", jdump({"conversations": good_turns}) + b"\n" + jdump(rec) + b"\n")
    corpus("sharegpt_plain_text", b"just some prose\n\nand more\n")
    corpus("text_doc_separator_empty", b"some text\n\nmore text\n", "text", extra=['data.doc_separator=""'])
    # Plain text is bytes: odd bytes may be encoded or refused, never crash the tokenizer.
    corpus("text_invalid_utf8", b"caf\xe9 \xff\xfe text\n\nmore \xc3 text\n", "text", expect="clean")
    corpus("text_nul_bytes", b"a\x00b\x00c\n\nd\x00\n", "text", expect="clean")
    corpus("text_one_huge_line", b"x" * (4 << 20) + b"\n", "text", expect="clean")
    synth = read(g.synth)
    lines = synth.split(b"\n")
    for cut in truncation_points(rng, len(synth), 40, 1, len(synth) - 2):
        if len(out) and sum(1 for v in out if v.name.startswith("synth_truncated")) >= 3:
            break
        if synth[cut - 1:cut] == b"\n" or synth[cut - 1:cut] == b"}":
            continue
        corpus(f"synth_truncated_at_{cut}", synth[:cut])
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def damaged_line(pos, data):
        # Only the damaged line decides: the others are the good corpus.
        i = max(k for k in range(len(starts)) if starts[k] <= pos)
        return corpus_problem(data[starts[i]:starts[i] + len(lines[i]) + 1])
    for pos, mask, data in damaging_flips(rng, synth, 5, damaged_line):
        corpus(f"synth_flip_{pos}_x{mask:02x}", data)
    for fmt in ["text", "sharegpt"]:
        out.append(V("corpus", f"{fmt}_directory", ["run", prep, 'data.inputs=["cdir"]', f"data.format={fmt}"],
                     setup=lambda d: os.mkdir(os.path.join(d, "cdir"))))
        out.append(V("corpus", f"{fmt}_fifo", ["run", prep, 'data.inputs=["pipe"]', f"data.format={fmt}"],
                     setup=lambda d: os.mkfifo(os.path.join(d, "pipe"))))
    out.append(V("corpus", "missing", ["run", prep, 'data.inputs=["missing.jsonl"]']))
    out.append(V("corpus", "device", ["run", prep, 'data.inputs=["/dev/null"]']))
    out.append(V("corpus", "one_good_one_missing", ["run", prep, 'data.inputs=["corpus.jsonl", "missing.jsonl"]'],
                 setup=lambda d: shutil.copy(g.synth, os.path.join(d, "corpus.jsonl"))))
    # The tokenizer stage reads corpora through its own path.
    tt = ["train-tokenizer", "--output", "t.json", "--vocab-size", "300"]
    out.append(V("corpus", "tokenizer_stage_bad_json", tt + ["--input", "c.jsonl", "--format", "jsonl"],
                 setup=lambda d: write(os.path.join(d, "c.jsonl"), b'{"text": "a"}\n{"text": \n')))
    out.append(V("corpus", "tokenizer_stage_bad_sharegpt", tt + ["--input", "c.jsonl", "--format", "sharegpt"],
                 setup=lambda d: write(os.path.join(d, "c.jsonl"), jdump({"conversations": "x"}) + b"\n")))
    out.append(V("corpus", "tokenizer_stage_directory", tt + ["--input", "cdir"],
                 setup=lambda d: os.mkdir(os.path.join(d, "cdir"))))
    out.append(V("corpus", "tokenizer_stage_fifo", tt + ["--input", "pipe"],
                 setup=lambda d: os.mkfifo(os.path.join(d, "pipe"))))
    out.append(V("corpus", "tokenizer_stage_empty", tt + ["--input", "c.txt", "--format", "text"], expect="clean",
                 setup=lambda d: write(os.path.join(d, "c.txt"), b"")))
    return out


def gen_shards(g, rng, oracle_dir):
    ev = os.path.join(g.decks, "evaluate.toml")
    val = os.path.join(g.data, "val-00000.h5")
    out = []

    def shard(name, make_val=None, expect="fail", extra=(), make_dir=None):
        def setup(d):
            data = os.path.join(d, "data")
            shutil.copytree(g.data, data)
            if make_val:
                os.remove(os.path.join(data, "val-00000.h5"))
                make_val(os.path.join(data, "val-00000.h5"))
            if make_dir:
                make_dir(data)
        out.append(V("shard", name, ["run", ev] + list(extra), setup=setup, expect=expect))

    raw = read(val)
    for cut in truncation_points(rng, len(raw), 3):
        shard(f"val_truncated_at_{cut}", lambda p, cut=cut: write(p, raw[:cut]))
    # Byte flips: kept where reading what evaluate reads fails in h5py as well.
    for pos, mask in oracle_flips(rng, raw, "shard", 60, oracle_dir):
        shard(f"val_flip_{pos}_x{mask:02x}", lambda p, pos=pos, mask=mask: write(p, flip(raw, pos, mask)))

    def rewrite(**kw):
        return lambda p: h5_copy(val, p, **kw)

    def set_attr(name, value):
        def fn(path, a):
            if path == "/":
                if value is None:
                    a.pop(name, None)
                else:
                    a[name] = value
        return fn

    for dtype in pick(rng, ["int32", "float32", "uint8", "int16", "uint64"], 3):
        shard(f"tokens_{dtype}", rewrite(data_fn=lambda n, d, t=dtype: d.astype(t) if n == "tokens" else None))
    shard("tokens_two_columns", rewrite(data_fn=lambda n, d: np.stack([d, d], 1) if n == "tokens" else None))
    for dtype in pick(rng, ["uint16", "float32", "int8"], 2):
        shard(f"loss_mask_{dtype}", rewrite(data_fn=lambda n, d, t=dtype: d.astype(t) if n == "loss_mask" else None))
    shard("loss_mask_short", rewrite(data_fn=lambda n, d: d[: len(d) // 2] if n == "loss_mask" else None),
          extra=["eval.batches=1000000"])
    shard("tokens_missing", rewrite(drop=("tokens",)))
    shard("tokens_out_of_vocab", rewrite(data_fn=lambda n, d: np.where(np.arange(len(d)) == 5, 60000, d).astype(d.dtype)
                                         if n == "tokens" else None))
    for attr in pick(rng, ["format", "format_version", "tokenizer_fingerprint", "vocab_size", "split", "sources",
                           "documents", "tokens"], 4):
        shard(f"attr_{attr}_missing", rewrite(attrs_fn=set_attr(attr, None)))
    attr_cases = [("format", "other"), ("format_version", np.int64(2)), ("format_version", "1"),
                  ("vocab_size", np.uint64(10)), ("vocab_size", np.uint64(0)), ("split", "train"),
                  ("tokenizer_fingerprint", "0" * 32), ("tokens", np.uint64(13837)), ("tokens", np.uint64(0)),
                  ("format", np.int64(5))]
    for attr, value in pick(rng, attr_cases, 6):
        label = re.sub(r"[^a-z0-9]+", "_", str(value).lower())[:12]
        shard(f"attr_{attr}_{type(value).__name__}_{label}", rewrite(attrs_fn=set_attr(attr, value)))
    shard("val_empty_file", lambda p: write(p, b""))
    shard("val_text_file", lambda p: write(p, b"not an HDF5 file\n"))
    shard("val_directory", lambda p: os.mkdir(p))
    shard("val_fifo", lambda p: os.mkfifo(p))
    shard("val_is_train_shard", lambda p: shutil.copy(os.path.join(g.data, "train-00000.h5"), p))
    shard("val_is_checkpoint", lambda p: shutil.copy(g.ckpt, p))
    shard("val_empty_hdf5", lambda p: h5py.File(p, "w").close())
    shard("val_missing", lambda p: None)
    shard("loss_mask_missing", rewrite(drop=("loss_mask",)), expect="clean")
    # A list where one string belongs: taking its first element is as fine as refusing it.
    shard("attr_split_list", rewrite(attrs_fn=set_attr("split", np.array(["val", "train"], dtype=h5py.string_dtype()))),
          expect="clean")
    shard("val_without_checksums", lambda p: h5_copy_unchecked(val, p), expect="clean")

    # manifest.json
    man_raw = read(os.path.join(g.data, "manifest.json"))
    man = json.loads(man_raw)

    def manifest(name, data, expect="fail", extra=()):
        data = data if isinstance(data, bytes) else jdump(data)
        shard(f"manifest_{name}", expect=expect, extra=extra,
              make_dir=lambda d: write(os.path.join(d, "manifest.json"), data))

    def medit(fn):
        m = json.loads(man_raw)
        fn(m)
        return m

    vs = lambda m: m["splits"]["val"]["shards"][0]
    last = man_raw.rindex(b"}")
    for cut in truncation_points(rng, len(man_raw), 2, 0, last):
        manifest(f"truncated_at_{cut}", man_raw[:cut])
    for pos, mask, data in damaging_flips(rng, man_raw, 2, lambda pos, data: not_json(data)):
        manifest(f"flip_{pos}_x{mask:02x}", data)
    big = ["eval.batches=1000000"]
    mcases = [
        ("array", [], ()), ("format_missing", medit(lambda m: m.pop("format")), ()),
        ("format_other", medit(lambda m: m.__setitem__("format", "x")), ()),
        ("format_version_2", medit(lambda m: m.__setitem__("format_version", 2)), ()),
        ("format_version_string", medit(lambda m: m.__setitem__("format_version", "1")), ()),
        ("format_number", medit(lambda m: m.__setitem__("format", 5)), ()),
        ("tokenizer_missing", medit(lambda m: m.pop("tokenizer")), ()),
        ("tokenizer_string", medit(lambda m: m.__setitem__("tokenizer", "x")), ()),
        ("fingerprint_number", medit(lambda m: m["tokenizer"].__setitem__("fingerprint", 5)), ()),
        ("fingerprint_other", medit(lambda m: m["tokenizer"].__setitem__("fingerprint", "0" * 32)), ()),
        ("splits_missing", medit(lambda m: m.pop("splits")), ()),
        ("splits_array", medit(lambda m: m.__setitem__("splits", [])), ()),
        ("val_missing", medit(lambda m: m["splits"].pop("val")), ()),
        ("val_array", medit(lambda m: m["splits"].__setitem__("val", [])), ()),
        ("shards_missing", medit(lambda m: m["splits"]["val"].pop("shards")), ()),
        ("shards_object", medit(lambda m: m["splits"]["val"].__setitem__("shards", {})), ()),
        ("shards_string", medit(lambda m: m["splits"]["val"].__setitem__("shards", "val-00000.h5")), ()),
        ("shards_empty", medit(lambda m: m["splits"]["val"].__setitem__("shards", [])), ()),
        ("shard_number", medit(lambda m: m["splits"]["val"].__setitem__("shards", [5])), ()),
        ("file_missing_key", medit(lambda m: vs(m).pop("file")), ()),
        ("file_number", medit(lambda m: vs(m).__setitem__("file", 5)), ()),
        ("file_absent", medit(lambda m: vs(m).__setitem__("file", "val-99999.h5")), ()),
        ("file_empty", medit(lambda m: vs(m).__setitem__("file", "")), ()),
        ("file_outside", medit(lambda m: vs(m).__setitem__("file", "../../../../../../etc/passwd")), ()),
        ("file_is_train", medit(lambda m: vs(m).__setitem__("file", "train-00000.h5")), ()),
        ("tokens_missing_key", medit(lambda m: vs(m).pop("tokens")), ()),
        ("tokens_string", medit(lambda m: vs(m).__setitem__("tokens", "13836")), ()),
        ("tokens_negative", medit(lambda m: vs(m).__setitem__("tokens", -5)), big),
        ("tokens_inflated", medit(lambda m: vs(m).__setitem__("tokens", 13836 * 1000)), big),
        ("tokens_inflated_by_one_window", medit(lambda m: vs(m).__setitem__("tokens", 13836 + 700)), big),
        ("tokens_max_u64", medit(lambda m: vs(m).__setitem__("tokens", (1 << 64) - 1)), big),
        ("tokens_deflated_below_batch", medit(lambda m: vs(m).__setitem__("tokens", 10)), ()),
    ]
    for name, data, extra in mcases:
        manifest(name, data, extra=extra)
    # Counts the loader does not need: a smaller token count reads a prefix of a valid shard.
    manifest("tokens_deflated", medit(lambda m: vs(m).__setitem__("tokens", 6000)), expect="clean")
    manifest("tokens_float", medit(lambda m: vs(m).__setitem__("tokens", 13836.5)), expect="clean")
    manifest("documents_wrong", medit(lambda m: vs(m).__setitem__("documents", 999)), expect="clean")
    shard("manifest_missing", make_dir=lambda d: os.remove(os.path.join(d, "manifest.json")))
    shard("manifest_directory", make_dir=lambda d: (os.remove(os.path.join(d, "manifest.json")),
                                                    os.mkdir(os.path.join(d, "manifest.json"))))
    shard("manifest_fifo", make_dir=lambda d: (os.remove(os.path.join(d, "manifest.json")),
                                               os.mkfifo(os.path.join(d, "manifest.json"))))
    # Inflated counts reach the loader's shuffled reads in training as well.
    pt = os.path.join(g.decks, "pretrain.toml")

    def inflated_train(d):
        data = os.path.join(d, "data")
        shutil.copytree(g.data, data)
        m = json.loads(man_raw)
        m["splits"]["train"]["shards"][0]["tokens"] *= 1000
        write(os.path.join(data, "manifest.json"), jdump(m))
    out.append(V("shard", "manifest_train_tokens_inflated_pretrain", ["run", pt, 'data.output_dir="data"'],
                 setup=inflated_train))
    return out


def h5_copy_unchecked(src, dst):
    with h5py.File(src, "r") as fin, h5py.File(dst, "w", libver=("v108", "latest")) as fout:
        for k, v in fin.attrs.items():
            fout.attrs[k] = v
        for name in fin:
            fout.create_dataset(name, data=fin[name][()])


def gen_checkpoints(g, rng, oracle_dir):
    out = []
    raw = read(g.ckpt)

    def ck(name, make, expect="fail", args=None):
        a = args or gen_args(g, "ck.h5")
        out.append(V("checkpoint", name, a, expect=expect, setup=lambda d: make(os.path.join(d, "ck.h5"))))

    for cut in truncation_points(rng, len(raw), 3):
        ck(f"truncated_at_{cut}", lambda p, cut=cut: write(p, raw[:cut]))
    for pos, mask in oracle_flips(rng, raw, "checkpoint", 40, oracle_dir):
        ck(f"flip_{pos}_x{mask:02x}", lambda p, pos=pos, mask=mask: write(p, flip(raw, pos, mask)))

    def rewrite(**kw):
        return lambda p: h5_copy(g.ckpt, p, **kw)

    def only(target, fn):
        return lambda n, d: fn(d) if n == target else None

    ck("tensor_missing_final_norm", rewrite(drop=("model/final_norm.weight",)))
    ck("tensor_missing_embedding", rewrite(drop=("model/tok_emb.weight",)))
    ck("tensor_embedding_narrow", rewrite(data_fn=only("model/tok_emb.weight", lambda d: d[:, :32].copy())))
    ck("tensor_norm_longer", rewrite(data_fn=only("model/final_norm.weight", lambda d: np.append(d, 1).astype(d.dtype))))
    ck("tensor_norm_2d", rewrite(data_fn=only("model/final_norm.weight", lambda d: d.reshape(64, 1))))
    ck("tensor_scalar", rewrite(data_fn=only("model/final_norm.weight", lambda d: np.float32(1.0))))
    for dtype in ["float64", "float16", "uint8"]:
        ck(f"tensor_{dtype}", rewrite(data_fn=only("model/layers.0.ffn.up.weight", lambda d, t=dtype: d.astype(t))))
    model_json = json.loads(h5py.File(g.ckpt, "r").attrs["model"])

    def set_root(name, value):
        def fn(path, a):
            if path == "/":
                if value is None:
                    a.pop(name, None)
                else:
                    a[name] = value
        return fn

    def model_attr(edit):
        m = dict(model_json)
        edit(m)
        return rewrite(attrs_fn=set_root("model", np.bytes_(json.dumps(m).encode())))

    ck("model_attr_not_json", rewrite(attrs_fn=set_root("model", np.bytes_(b"{not json"))))
    ck("model_attr_empty_object", rewrite(attrs_fn=set_root("model", np.bytes_(b"{}"))))
    ck("model_attr_array", rewrite(attrs_fn=set_root("model", np.bytes_(b"[]"))))
    ck("model_attr_missing", rewrite(attrs_fn=set_root("model", None)))
    model_cases = [("preset_number", "preset", 5), ("vocab_size_string", "vocab_size", "512"),
                   ("n_head_zero", "n_head", 0), ("n_head_three", "n_head", 3), ("n_kv_head_zero", "n_kv_head", 0),
                   ("vocab_size_huge", "vocab_size", 10 ** 12), ("vocab_size_negative", "vocab_size", -1),
                   ("n_layer_zero", "n_layer", 0), ("n_layer_three", "n_layer", 3), ("n_embd_zero", "n_embd", 0),
                   ("context_length_zero", "context_length", 0), ("context_length_negative", "context_length", -5),
                   ("ffn_relu", "ffn", "relu"), ("bias_string", "bias", "yes"), ("rope_theta_string", "rope_theta", "x"),
                   ("ffn_hidden_huge", "ffn_hidden", 1 << 40)]
    for name, key, value in model_cases:
        ck(f"model_{name}", model_attr(lambda m, k=key, v=value: m.__setitem__(k, v)))
    ck("model_key_missing", model_attr(lambda m: m.pop("n_head")))
    ck("format_other", rewrite(attrs_fn=set_root("format", np.bytes_(b"other"))))
    ck("format_missing", rewrite(attrs_fn=set_root("format", None)))
    ck("tokenizer_attr_missing", rewrite(attrs_fn=set_root("tokenizer_fingerprint", None)))

    def no_state(p):
        h5_copy(g.ckpt, p, drop=("state",))
        with h5py.File(p, "r+") as f:
            if "state" in f:
                del f["state"]
    ck("state_group_missing", no_state)

    def state_attr(name, value):
        def fn(path, a):
            if path == "state":
                if value is None:
                    a.pop(name, None)
                else:
                    a[name] = value
        return fn
    ck("state_step_string", rewrite(attrs_fn=state_attr("step", np.bytes_(b"4"))))
    ck("state_rng_missing", rewrite(attrs_fn=state_attr("rng", None)))
    ck("other_tokenizer", lambda p: shutil.copy(g.ckpt, p), args=gen_args(g, "ck.h5", tok=g.other_tok))
    ck("empty_file", lambda p: write(p, b""))
    ck("text_file", lambda p: write(p, b"not a checkpoint\n"))
    ck("directory", lambda p: os.mkdir(p))
    ck("fifo", lambda p: os.mkfifo(p))
    ck("device", lambda p: None, args=gen_args(g, "/dev/null"))
    ck("shard_as_checkpoint", lambda p: shutil.copy(os.path.join(g.data, "val-00000.h5"), p))
    ck("empty_hdf5", lambda p: h5py.File(p, "w").close())
    # NaN weights are a valid file: generation may produce anything but must not crash or hang.
    ck("nan_weights", rewrite(data_fn=lambda n, d: np.full_like(d, np.nan) if n.startswith("model/") else None),
       expect="clean")

    # Through the evaluate stage with a deck whose model differs from the checkpoint's.
    ev = os.path.join(g.decks, "evaluate.toml")

    def eval_case(name, overrides, expect="fail"):
        out.append(V("checkpoint", name, ["run", ev] + overrides, expect=expect,
                     setup=lambda d: shutil.copytree(g.data, os.path.join(d, "data"))))
    eval_case("evaluate_other_tokenizer", [f"tokenizer.path={json.dumps(g.other_tok)}"])
    # evaluate builds the checkpoint's own model; a deck describing another may be ignored.
    eval_case("evaluate_other_width", ["model.n_embd=128"], expect="clean")

    # `latest` naming garbage, in a run directory whose checkpoints are unusable.
    rs = os.path.join(g.decks, "resume.toml")

    def latest_case(name, content, keep=(), junk=True):
        def setup(d):
            ckdir = os.path.join(d, "runs", "ck", "checkpoints")
            os.makedirs(ckdir)
            for f in keep:
                shutil.copy(os.path.join(g.run, "checkpoints", f), os.path.join(ckdir, f))
            if junk:
                write(os.path.join(ckdir, "step_00000002.h5"), raw[: len(raw) // 3])
            write(os.path.join(ckdir, "latest"), content)
        out.append(V("checkpoint", f"latest_{name}", ["run", rs], setup=setup))
    latest_case("empty", b"")
    latest_case("missing_file", b"step_00000099.h5\n")
    latest_case("binary", bytes(rng.randrange(256) for _ in range(64)))
    latest_case("invalid_utf8", b"step_\xff\xfe.h5\n")
    latest_case("path_outside", b"../../../../../../etc/passwd\n")
    latest_case("absolute_device", b"/dev/zero\n")
    latest_case("itself", b"latest\n")
    latest_case("dot", b".\n")
    latest_case("long_name", b"a" * 5000 + b"\n")
    latest_case("names_shard", os.fsencode(os.path.join(g.data, "val-00000.h5")) + b"\n")
    latest_case("names_truncated", b"step_00000002.h5\n")
    # The pretrain resume with nothing readable and `latest` naming a shard.
    pt = os.path.join(g.decks, "resume.toml")

    def resume_setup(d):
        ckdir = os.path.join(d, "runs", "ck", "checkpoints")
        os.makedirs(ckdir)
        for f in ["final.h5", "step_00000002.h5"]:
            write(os.path.join(ckdir, f), raw[: len(raw) // 2])
        write(os.path.join(ckdir, "latest"), os.fsencode(os.path.join(g.data, "val-00000.h5")) + b"\n")
    out.append(V("checkpoint", "resume_pretrain_nothing_readable", ["run", pt, 'run.stages=["pretrain"]'],
                 setup=resume_setup))

    # Export and chat read checkpoints too.
    exp = ["export", "--checkpoint", "ck.h5", "--format", "gguf", "--output", "m.gguf"]
    ck("export_truncated", lambda p: write(p, raw[: len(raw) // 2]), args=exp)
    ck("export_tensor_missing", rewrite(drop=("model/layers.1.ffn.gate.weight",)), args=exp)
    ck("export_model_n_head_zero", model_attr(lambda m: m.__setitem__("n_head", 0)), args=exp)
    ck("export_hf_tensor_float64", rewrite(data_fn=only("model/tok_emb.weight", lambda d: d.astype("float64"))),
       args=["export", "--checkpoint", "ck.h5", "--format", "hf", "--output", "hf"])

    def gelu(p):
        h5_copy(g.ckpt, p, drop=tuple(f"model/layers.{i}.ffn.gate.{w}" for i in range(2) for w in ["weight", "bias"]) +
                tuple(f"optim/layers.{i}.ffn.gate.{w}" for i in range(2) for w in ["weight", "bias"]),
                attrs_fn=set_root("model", np.bytes_(json.dumps(dict(model_json, ffn="gelu")).encode())))
    ck("export_gelu_model", gelu, args=exp)
    chat = ["chat", "--checkpoint", "ck.h5", "--tokenizer", g.tok, "--max-tokens", "1"]
    out.append(V("checkpoint", "chat_truncated", chat, stdin=b"hi\n",
                 setup=lambda d: write(os.path.join(d, "ck.h5"), raw[: len(raw) // 2])))
    out.append(V("checkpoint", "chat_missing", ["chat", "--checkpoint", "missing.h5", "--tokenizer", g.tok], stdin=b"hi\n"))
    return out


def gen_prompts(g, rng):
    out = []
    good = b'{"id": "p1", "prompt": "hi"}\n'

    def expect_error_record(v, r):
        path = os.path.join(v.cwd, "runs", "generate", "generations.jsonl")
        try:
            recs = [json.loads(l) for l in read(path).splitlines() if l.strip()]
        except (OSError, ValueError) as e:
            return f"no readable output ({e})"
        if len(recs) != 2 or "completion" not in recs[0] or "error" not in recs[1]:
            return f"expected a completion then an error record, got: {json.dumps(recs)[:200]}"
        if b"the line is skipped" not in r.err:
            return "no warning naming the skipped line"
        return None

    def prompts(name, data, expect="fail", extra=()):
        out.append(V("prompts", name, gen_args(g, g.ckpt, prompts="p.jsonl", extra=extra), expect=expect,
                     skip_check=expect_error_record, setup=lambda d: write(os.path.join(d, "p.jsonl"), data)))

    prompts("empty", b"")
    prompts("blank_lines", b"\n  \n\t\n")
    prompts("overflow_refused", jdump({"prompt": "word " * 400}) + b"\n", extra=["generate.prompt_overflow=error"])
    bad_lines = {
        "not_json": b"this is not json", "array": b"[1, 2]", "prompt_number": b'{"prompt": 5}',
        "prompt_empty": b'{"prompt": ""}', "neither_field": b'{"id": 1}', "conversations_string": b'{"conversations": "x"}',
        "turn_role_unknown": jdump({"conversations": [{"from": "bot", "value": "x"}]}),
        "turn_without_value": jdump({"conversations": [{"from": "human"}]}),
        "tools_not_json": jdump({"conversations": [{"from": "human", "value": "hi"}], "tools": "[{not json"}),
        "tools_number": jdump({"conversations": [{"from": "human", "value": "hi"}], "tools": 5}),
        "invalid_utf8": b'{"prompt": "caf\xe9"}', "truncated": b'{"prompt": "hi',
    }
    for name, line in bad_lines.items():
        prompts(f"line_{name}", good + line + b"\n", expect="skip")
    out.append(V("prompts", "directory", gen_args(g, g.ckpt, prompts="pdir"),
                 setup=lambda d: os.mkdir(os.path.join(d, "pdir"))))
    out.append(V("prompts", "fifo", gen_args(g, g.ckpt, prompts="pipe"),
                 setup=lambda d: os.mkfifo(os.path.join(d, "pipe"))))
    out.append(V("prompts", "missing", gen_args(g, g.ckpt, prompts="missing.jsonl")))
    out.append(V("prompts", "tool_eval_file_fifo", ["run", os.path.join(g.decks, "evaluate.toml"), "eval.tool_eval=true",
                                                    'eval.tool_eval_file="pipe"', "eval.tool_eval_max=1"],
                 setup=lambda d: (shutil.copytree(g.data, os.path.join(d, "data")), os.mkfifo(os.path.join(d, "pipe")))))
    return out


def gen_interop(g, rng):
    out = []
    st_path = os.path.join(g.hf, "model.safetensors")
    st_raw = read(st_path)
    tensors, meta = st_read(st_path)
    config = json.loads(read(os.path.join(g.hf, "config.json")))
    imp = ["import", "--from", "hf", "--output", "out"]

    def hf(name, edit, expect="fail"):
        def setup(d):
            dst = os.path.join(d, "hf")
            shutil.copytree(g.hf, dst)
            edit(dst)
        out.append(V("interop", name, imp, setup=setup, expect=expect))

    def st_file(data):
        return lambda d: write(os.path.join(d, "model.safetensors"), data)

    def st_edit(fn=None, header_edit=None):
        def edit(d):
            t = {k: list(v) for k, v in tensors.items()}
            if fn:
                fn(t)
            st_write(os.path.join(d, "model.safetensors"), t, meta, header_edit)
        return edit

    n = struct.unpack("<Q", st_raw[:8])[0]
    for cut in truncation_points(rng, len(st_raw), 3):
        hf(f"safetensors_truncated_at_{cut}", st_file(st_raw[:cut]))
    hf("safetensors_header_length_huge", st_file(struct.pack("<Q", 1 << 40) + st_raw[8:]))
    hf("safetensors_header_length_zero", st_file(struct.pack("<Q", 0) + st_raw[8:]))
    hf("safetensors_header_not_json", st_file(st_raw[:8] + b"x" + st_raw[9:]))
    hf("safetensors_header_array", st_file(struct.pack("<Q", 8) + b"[]      " + st_raw[8 + n:]))
    emb = "model.embed_tokens.weight"
    norm = "model.norm.weight"
    hf("safetensors_tensor_missing", st_edit(lambda t: t.pop(norm)))
    hf("safetensors_dtype_i32", st_edit(lambda t: t[norm].__setitem__(0, "I32")))
    hf("safetensors_dtype_f64", st_edit(lambda t: t.__setitem__(norm, ["F64", t[norm][1], t[norm][2] * 2])))
    hf("safetensors_shape_lies", st_edit(lambda t: t[norm].__setitem__(1, [65])))
    hf("safetensors_shape_transposed", st_edit(lambda t: t[emb].__setitem__(1, t[emb][1][::-1])))
    hf("safetensors_shape_negative", st_edit(header_edit=lambda h: h[norm].__setitem__("shape", [-64])))
    hf("safetensors_shape_string", st_edit(header_edit=lambda h: h[norm].__setitem__("shape", ["64"])))
    hf("safetensors_offsets_reversed", st_edit(header_edit=lambda h: h[norm].__setitem__(
        "data_offsets", h[norm]["data_offsets"][::-1])))
    hf("safetensors_offsets_beyond", st_edit(header_edit=lambda h: h[norm].__setitem__(
        "data_offsets", [h[norm]["data_offsets"][0] + 10 ** 9, h[norm]["data_offsets"][1] + 10 ** 9])))
    hf("safetensors_foreign_tensor", st_edit(lambda t: t.__setitem__(
        "model.layers.0.self_attn.q_norm.weight", ["F32", [16], b"\0" * 64])))
    hf("safetensors_lm_head_differs", st_edit(lambda t: t.__setitem__(
        "lm_head.weight", ["F32", t[emb][1], bytes(len(t[emb][2]))])))
    hf("safetensors_missing_file", lambda d: os.remove(os.path.join(d, "model.safetensors")))
    hf("safetensors_is_directory", lambda d: (os.remove(os.path.join(d, "model.safetensors")),
                                              os.mkdir(os.path.join(d, "model.safetensors"))))

    def cfg(fn=None, raw=None):
        def edit(d):
            if raw is not None:
                write(os.path.join(d, "config.json"), raw)
                return
            c = dict(config)
            fn(c)
            write(os.path.join(d, "config.json"), jdump(c))
        return edit

    hf("config_not_json", cfg(raw=b"{not json"))
    hf("config_array", cfg(raw=b"[]"))
    hf("config_missing", lambda d: os.remove(os.path.join(d, "config.json")))
    config_cases = [
        ("model_type_gpt2", lambda c: (c.__setitem__("model_type", "gpt2"), c.pop("architectures", None))),
        ("model_type_number", lambda c: (c.__setitem__("model_type", 5), c.pop("architectures", None))),
        ("architectures_string", lambda c: (c.__setitem__("architectures", "LlamaForCausalLM"), c.pop("model_type"))),
        ("hidden_act_gelu", lambda c: c.__setitem__("hidden_act", "gelu")),
        ("hidden_act_number", lambda c: c.__setitem__("hidden_act", 5)),
        ("vocab_size_missing", lambda c: c.pop("vocab_size")),
        ("vocab_size_string", lambda c: c.__setitem__("vocab_size", "512")),
        ("vocab_size_zero", lambda c: c.__setitem__("vocab_size", 0)),
        ("vocab_size_huge", lambda c: c.__setitem__("vocab_size", 10 ** 12)),
        ("hidden_size_huge", lambda c: c.__setitem__("hidden_size", 1 << 40)),
        ("layers_huge", lambda c: c.__setitem__("num_hidden_layers", 10 ** 9)),
        ("heads_three", lambda c: c.__setitem__("num_attention_heads", 3)),
        ("kv_heads_three", lambda c: c.__setitem__("num_key_value_heads", 3)),
        ("untied", lambda c: c.__setitem__("tie_word_embeddings", False)),
        ("rope_scaling", lambda c: c.__setitem__("rope_scaling", {"type": "linear", "factor": 2.0})),
        ("head_dim_other", lambda c: c.__setitem__("head_dim", 8)),
        ("bias_split", lambda c: (c.__setitem__("attention_bias", True), c.__setitem__("mlp_bias", False))),
        ("rms_norm_eps_negative", lambda c: c.__setitem__("rms_norm_eps", -1)),
        ("rms_norm_eps_string", lambda c: c.__setitem__("rms_norm_eps", "x")),
        ("rope_theta_nan", lambda c: c.__setitem__("rope_theta", float("nan"))),
        ("max_position_float", lambda c: c.__setitem__("max_position_embeddings", 64.5)),
        ("vocab_smaller_than_tokenizer", lambda c: c.__setitem__("vocab_size", 300)),
    ]
    for name, fn in config_cases:
        hf(f"config_{name}", cfg(fn))
    hf("tokenizer_missing", lambda d: os.remove(os.path.join(d, "tokenizer.json")))
    hf("tokenizer_truncated", lambda d: write(os.path.join(d, "tokenizer.json"),
                                             read(os.path.join(d, "tokenizer.json"))[:1000]))

    def index(content):
        def edit(d):
            os.rename(os.path.join(d, "model.safetensors"), os.path.join(d, "model-00001.safetensors"))
            write(os.path.join(d, "model.safetensors.index.json"), content)
        return edit
    wm = {k: "model-00001.safetensors" for k in tensors}
    hf("index_not_json", index(b"{not json"))
    hf("index_no_weight_map", index(jdump({"metadata": {}})))
    hf("index_path_outside", index(jdump({"weight_map": dict(wm, **{norm: "../model-00001.safetensors"})})))
    hf("index_value_number", index(jdump({"weight_map": dict(wm, **{norm: 5})})))
    hf("index_names_missing_file", index(jdump({"weight_map": dict(wm, **{norm: "model-00002.safetensors"})})))
    hf("index_omits_tensor", index(jdump({"weight_map": {k: v for k, v in wm.items() if k != norm}})))
    hf("index_dot", index(jdump({"weight_map": dict(wm, **{norm: "."})})))
    return out


def gen_outputs(g, rng):
    """Output paths that cannot be written: a regular file stands where a folder must be."""
    out = []

    def blocked(name, args):
        out.append(V("output", name, args, setup=lambda d: write(os.path.join(d, "blocker"), b"a file\n")))

    blocked("run_output_dir", ["run", os.path.join(g.decks, "mini.toml"), 'run.output_dir="blocker"'])
    blocked("run_dir_is_file", ["run", os.path.join(g.decks, "mini.toml"), 'run.output_dir="."', 'run.name="blocker"'])
    blocked("synth_output", ["synth", "--output", "blocker/s.jsonl", "--count", "2"])
    blocked("tokenizer_output", ["train-tokenizer", "--input", g.synth, "--output", "blocker/t.json", "--vocab-size",
                                 "300"])
    blocked("prepare_output_dir", ["run", os.path.join(g.decks, "prepare.toml"), f'data.inputs=[{json.dumps(g.synth)}]',
                                   'data.output_dir="blocker/data"'])
    blocked("generate_output_file", gen_args(g, g.ckpt, extra=['generate.output_file="blocker/g.jsonl"']))
    blocked("export_gguf_output", ["export", "--checkpoint", g.ckpt, "--format", "gguf", "--output", "blocker/m.gguf"])
    blocked("export_hf_output", ["export", "--checkpoint", g.ckpt, "--format", "hf", "--output", "blocker/hf"])
    blocked("import_output", ["import", "--from", g.hf, "--output", "blocker/out"])
    blocked("checkpoint_dir", ["run", os.path.join(g.decks, "pretrain.toml"), 'checkpoint.dir="blocker/ck"'])
    blocked("export_output_is_directory_gguf", ["export", "--checkpoint", g.ckpt, "--format", "gguf", "--output", "."])
    return out


# ---------------------------------------------------------------------------------------------

def show_cmd(v):
    parts = []
    for a in ["hermes"] + v.args:
        b = as_bytes(a)
        try:
            s = b.decode()
        except UnicodeDecodeError:
            parts.append("$'" + "".join(chr(c) if 32 <= c < 127 and c not in (39, 92) else f"\\x{c:02x}" for c in b) + "'")
            continue
        if len(s) > 120:
            s = s[:100] + f"...({len(s)} chars)"
        parts.append(shlex.quote(s))
    stdin = " <<< " + shlex.quote(v.stdin.decode(errors="replace").rstrip("\n")) if v.stdin else ""
    return f"(cd {v.cwd} && {' '.join(parts)}{stdin})"


def first_lines(r, n=3):
    lines = [l for l in (r.err + r.out).splitlines() if l.strip()]
    # Errors are the point: show stderr first.
    return [l[:300].decode(errors="replace") for l in lines[:n]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("hermes")
    ap.add_argument("work_dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-going", action="store_true", help="run every variant (the default does too)")
    ap.add_argument("--jobs", type=int, default=(os.cpu_count() or 2) + 1,
                    help="variants run at once (hermes waits in start-up: one more than the cores)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds before a variant counts as a hang")
    ap.add_argument("--only", default="", help="comma-separated classes to run")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    if len(sys.argv) > 1 and sys.argv[1] == "--h5-oracle":
        h5_oracle_main(sys.argv[2], sys.argv[3:])
        return 0
    a = ap.parse_args()
    t0 = time.monotonic()
    work = os.path.abspath(a.work_dir)
    for sub in ["good", "v", "oracle"]:  # this script's own folders only
        shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    run = Runner(a.hermes, a.timeout)
    g = build_good(run, work)
    built = time.monotonic() - t0
    rng = random.Random(a.seed)
    variants = gen_control(g)
    gens = [("deck", lambda: gen_decks(g, rng)), ("override", lambda: gen_overrides(g, rng)),
            ("cli", lambda: gen_cli(g, rng)), ("tokenizer", lambda: gen_tokenizers(g, rng)),
            ("corpus", lambda: gen_corpora(g, rng)), ("shard", lambda: gen_shards(g, rng, os.path.join(work, "oracle"))),
            ("checkpoint", lambda: gen_checkpoints(g, rng, os.path.join(work, "oracle"))),
            ("prompts", lambda: gen_prompts(g, rng)), ("interop", lambda: gen_interop(g, rng)),
            ("output", lambda: gen_outputs(g, rng))]
    for _, gen in gens:  # every generator runs, so the seed gives the same variants whatever --only says
        variants += gen()
    shutil.rmtree(os.path.join(work, "oracle"), ignore_errors=True)
    only = {c for c in a.only.split(",") if c}
    if only:
        variants = [v for v in variants if v.cls in only or v.cls == "control" or
                    (v.cls == "deck_bytes" and "deck" in only)]
    names = set()
    for v in variants:  # similar edits may share a name: number the later ones
        base, n = v.name, 1
        while (v.cls, v.name) in names:
            n += 1
            v.name = f"{base}_{n}"
        names.add((v.cls, v.name))
    if a.list:
        for v in variants:
            print(f"{v.cls:12} {v.expect:6} {v.name}")
        print(f"{len(variants)} variants")
        return 0
    root = os.path.join(work, "v")
    for v in variants:
        v.cwd = os.path.join(root, v.cls, v.name)

    def one(v):
        os.makedirs(v.cwd)
        v.setup(v.cwd)
        r = run(v.args, v.cwd, timeout=v.timeout, stdin=v.stdin)
        if v.expect == "ok":
            problems = [] if r.rc == 0 and not r.hung else [("control failed", f"exit {r.rc}")]
            if r.err.strip() and not all(WARNING_LINE.match(l) for l in r.err.splitlines() if l.strip()):
                problems.append(("control failed", "stderr is not empty"))
        else:
            problems = judge(v, r, v.timeout or a.timeout)
            if not problems:  # only the misbehaving keep their folder, for a closer look
                shutil.rmtree(v.cwd, ignore_errors=True)
        return v, r, problems

    controls = [v for v in variants if v.cls == "control"]
    rest = [v for v in variants if v.cls != "control"]
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        results += list(pool.map(one, controls))
        bad_controls = [x for x in results if x[2]]
        if bad_controls:
            for v, r, p in bad_controls:
                print(f"CONTROL {v.name} failed: {p}\n  {show_cmd(v)}\n  " + "\n  ".join(first_lines(r, 12)))
            print("adversarial: the good inputs are not accepted; the variants would prove nothing")
            return 1
        results += list(pool.map(one, rest))

    # Every variant's exit code and verdict, for a look beyond the summary.
    with open(os.path.join(work, "results.tsv"), "w") as f:
        f.write("class\tvariant\texpect\texit\tseconds\tproblems\n")
        for v, r, problems in results:
            code = "hang" if r.hung else str(r.rc)
            f.write(f"{v.cls}\t{v.name}\t{v.expect}\t{code}\t{r.seconds:.2f}\t"
                    f"{'; '.join(p[0] for p in problems) or 'ok'}\n")

    # Summary per class.
    classes = []
    for v, _, _ in results:
        if v.cls not in classes:
            classes.append(v.cls)
    print(f"\nadversarial: {len(rest)} variants, seed {a.seed}, good inputs built in {built:.1f} s, "
          f"total {time.monotonic() - t0:.1f} s; every exit code in {os.path.join(work, 'results.tsv')}")
    print(f"{'class':12} {'variants':>8} {'passed':>7} {'fail/clean/skip':>16} {'seconds':>8}  exit codes")
    failing = []
    for c in classes:
        rs = [x for x in results if x[0].cls == c]
        passed = sum(1 for x in rs if not x[2])
        kinds = "/".join(str(sum(1 for x in rs if x[0].expect == k)) for k in ["fail", "clean", "skip"])
        codes = {}
        for _, r, _ in rs:
            key = "hang" if r.hung else str(r.rc)
            codes[key] = codes.get(key, 0) + 1
        seconds = sum(r.seconds for _, r, _ in rs)
        print(f"{c:12} {len(rs):8} {passed:7} {kinds:>16} {seconds:8.1f}  " +
              " ".join(f"{k}:{n}" for k, n in sorted(codes.items())))
        failing += [x for x in rs if x[2]]
    if not failing:
        print("every variant behaved")
        return 0
    print(f"\n{len(failing)} misbehaving variant(s), by symptom:")
    by = {}
    for v, r, problems in failing:
        symptom = min((p[0] for p in problems), key=lambda s: SYMPTOM_ORDER.index(s) if s in SYMPTOM_ORDER else 99)
        by.setdefault(symptom, []).append((v, r, problems))
    for symptom in sorted(by, key=lambda s: SYMPTOM_ORDER.index(s) if s in SYMPTOM_ORDER else 99):
        print(f"\n== {symptom} ({len(by[symptom])}) ==")
        for v, r, problems in by[symptom]:
            code = "hang" if r.hung else r.rc
            print(f"- {v.cls}/{v.name} [expect {v.expect}, exit {code}]: " + "; ".join(p[1] for p in problems))
            print(f"    {show_cmd(v)}")
            for line in first_lines(r):
                print(f"    | {line}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
