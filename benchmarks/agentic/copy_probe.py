#!/usr/bin/env python3
"""How sure a model is of each argument it must copy into a tool call, read without sampling.

For every tool call in a run's held-out test split, the model reads the conversation up to each
token of each argument's value (teacher forcing: the true tokens before it) and gives the right
token a probability. Per argument (word_frequency.text, date_calculator.start_date, ...) it
reports the tokens probed, their mean probability, their mean log-probability and how often the
right token is the most likely one; greedy decoding writes an argument exactly only where that
holds at every token of it. Where exact arguments are low this says whether the model is close
(a right token at 0.4) or has learned nothing (the corpus's word frequencies, 0.03), and the
periodic checkpoints show when copying appears.

  hermes export --checkpoint RUN/checkpoints/step_00003000.h5 --format hf --output RUN/hf_3000
  /usr/bin/python3 benchmarks/agentic/copy_probe.py RUN RUN/hf_3000 [--max-conversations 200] [--json OUT]

RUN is a hermes run folder (its data/test-00000.h5 and tokenizer.json); the model is the
HuggingFace directory `hermes export --format hf` writes. Needs PyTorch, h5py and numpy.
"""
import argparse
import json
import math
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare"))
import torch_speedrun as ts  # noqa: E402  (the hermes model in PyTorch)

CALL_OPEN = b"<tool_call>\n"


def byte_decoder():
    """Byte-level BPE's printable stand-ins back to bytes (the GPT-2 byte map)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(keep, chars)}


def token_bytes(tokenizer_json):
    tok = json.load(open(tokenizer_json))
    dec = byte_decoder()
    out = {i: bytes(dec[ch] for ch in t) for t, i in tok["model"]["vocab"].items()}
    for a in tok.get("added_tokens", []):
        out[a["id"]] = a["content"].encode()
    return out


def argument_spans(text):
    """(tool.argument, byte begin, byte end) of each argument value of each call in `text`; a
    string's span excludes its quotes."""
    spans = []
    at = text.find(CALL_OPEN)
    while at >= 0:
        start = at + len(CALL_OPEN)
        try:
            call, end = json.JSONDecoder().raw_decode(text[start:].decode("utf-8", "replace"))
        except ValueError:
            at = text.find(CALL_OPEN, start)
            continue
        body = text[start:start + len(json.dumps(call, ensure_ascii=False).encode())]
        args = call.get("arguments", {}) if isinstance(call, dict) else {}
        cursor = body.find(b'"arguments": ')
        for key, value in args.items():
            raw = json.dumps(value, ensure_ascii=False).encode()
            k = body.find(json.dumps(key).encode() + b": " + raw, cursor)
            if k < 0:
                continue
            b = k + len(json.dumps(key).encode()) + 2
            e = b + len(raw)
            if isinstance(value, str):
                b, e = b + 1, e - 1
            spans.append((f"{call.get('name', '?')}.{key}", start + b, start + e))
            cursor = e
        at = text.find(CALL_OPEN, start)
    return spans


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("hf_dir")
    ap.add_argument("--max-conversations", type=int, default=200)
    ap.add_argument("--json", help="also write the table here")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))

    cfg = json.load(open(os.path.join(a.hf_dir, "config.json")))
    c = {"n_layer": cfg["num_hidden_layers"], "n_embd": cfg["hidden_size"], "n_head": cfg["num_attention_heads"],
         "n_kv_head": cfg["num_key_value_heads"], "ffn_hidden": cfg["intermediate_size"],
         "vocab_size": cfg["vocab_size"], "norm_eps": cfg["rms_norm_eps"], "rope_theta": cfg["rope_theta"],
         "init_std": 0.02}
    context = cfg["max_position_embeddings"]
    model = ts.Model(c, context, 0, block=0)
    ts.load_hf(model, a.hf_dir)
    pieces = token_bytes(os.path.join(a.run_dir, "tokenizer.json"))

    shard = h5py.File(os.path.join(a.run_dir, "data", "test-00000.h5"), "r")
    tokens, offsets = shard["tokens"][:], shard["doc_offsets"][:]
    probes = {}  # argument -> list of (p, is argmax)
    convs = 0
    for d in range(min(len(offsets) - 1, a.max_conversations)):
        ids = tokens[offsets[d]:offsets[d + 1]].astype(np.int64)[:context]
        starts = np.cumsum([0] + [len(pieces[int(i)]) for i in ids])
        text = b"".join(pieces[int(i)] for i in ids)
        spans = argument_spans(text)
        if not spans:
            continue
        convs += 1
        x = torch.zeros(1, context, dtype=torch.long)
        x[0, :len(ids)] = torch.from_numpy(ids)
        with torch.no_grad():
            probs = torch.softmax(model.logits(x, torch.zeros_like(x))[0], -1)
        for name, b, e in spans:
            # Tokens that start inside the value, predicted from the position before each.
            first = int(np.searchsorted(starts, b, side="left"))
            for t in range(max(first, 1), len(ids)):
                if starts[t] >= e:
                    break
                row = probs[t - 1]
                probes.setdefault(name, []).append((float(row[ids[t]]), int(row.argmax()) == int(ids[t])))
    table = {}
    print(f"{convs} conversations with calls; teacher-forced probability of each argument's tokens")
    print(f"{'argument':36s} {'tokens':>7s} {'mean p':>7s} {'mean log p':>10s} {'argmax right':>12s}")
    for name in sorted(probes):
        v = probes[name]
        row = {"tokens": len(v), "mean_p": sum(p for p, _ in v) / len(v),
               "mean_log_p": sum(math.log(max(p, 1e-12)) for p, _ in v) / len(v),
               "argmax_right": sum(1 for _, r in v if r) / len(v)}
        table[name] = row
        print(f"{name:36s} {row['tokens']:7d} {row['mean_p']:7.3f} {row['mean_log_p']:10.2f} "
              f"{100 * row['argmax_right']:11.1f}%")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"run_dir": a.run_dir, "model": a.hf_dir, "conversations": convs, "arguments": table}, f,
                      indent=1)


if __name__ == "__main__":
    main()
