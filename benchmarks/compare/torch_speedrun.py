#!/usr/bin/env python3
"""hermes's agentic speedrun recipe in PyTorch (CPU, fp32), for wall time against tool-call accuracy.

It trains on the shards a hermes run prepared (<run_dir>/data) and reproduces hermes's recipe:
  model      the deck's [model] on its preset: pre-norm RMSNorm (eps norm_eps), packed qkv,
             half-split RoPE (rotate (i, i + D/2), theta rope_theta, positions from the window
             start), causal attention scaled by 1/sqrt(D) with the document mask, SwiGLU, final
             RMSNorm, output tied to the embedding; init N(0, init_std), attn.proj and ffn.down
             N(0, init_std / sqrt(2 n_layer)), norms 1 (src/model/)
  data       the loader of src/data/loader.cpp: windows of seq_len + 1 tokens at w * seq_len of
             the concatenated shards, the epoch's Feistel permutation keyed by run.seed, rank r of
             R taking positions r, r + R, ... of each global batch (the R ranks are emulated as
             one batch of R * batch_size windows); targets shifted by one; the loss mask
  loss       summed over the masked tokens of the global batch, divided by their count
  optimizer  hermes's Muon on the blocks' 2-D weights (Nesterov momentum, Frobenius
             normalisation, 5 quintic Newton-Schulz steps on the Gram side, scale
             sqrt(max(1, rows/cols)), decoupled weight decay at the Muon rate), AdamW with bias
             correction on the embedding and norms (no decay), the global gradient norm clipped
             to train.grad_clip, warmup then the deck's schedule (cosine, wsd or constant) to
             min_lr_ratio over max_steps (src/optim/)
Every value comes from the deck (default inputs/agentic_speedrun.toml), hermes's defaults and
`--set section.key=value`, as `hermes run` resolves them.

Wall clock: from the start of the script (shards loaded, model built) to each step's end; the
time spent writing model directories is not counted. The model is written as a HuggingFace Llama
directory (config.json, model.safetensors, tokenizer.json) that `hermes import` reads, at each
of --save-at-minutes and at the end: OUT/hf/minute_05, ..., and OUT/hf/final unless the last
minute mark already holds the last step. Attention runs in blocks of --attn-block query rows
against the keys from the block's first document start, skipping masked work as the host
backend does; the result does not depend on the block size.

  train:  torch_speedrun.py --run-dir RUN_DIR --out OUT [--minutes 30] [--max-steps 3000]
  check:  torch_speedrun.py --run-dir RUN_DIR --check-against HF_DIR [--check-steps 1,21]
          (JSON: the loss of those training steps' global batches and the val/test loss that
          hermes's evaluation reports, computed with HF_DIR's weights)
  parity: --save-init --max-steps 10 --log-interval 1 writes OUT/hf/init; `hermes import` it and
          train hermes from it (train.init_from=IMPORTED/checkpoint.h5 train.max_steps=10
          train.log_interval=1, data.output_dir and tokenizer.path of RUN_DIR): both metrics.csv
          give the same loss, gradient norm and lr at every step
"""
import argparse
import csv
import json
import math
import os
import shutil
import struct
import sys
import time
import tomllib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DECK = os.path.join(HERE, "..", "..", "inputs", "agentic_speedrun.toml")

# src/model/config.cpp: layers, width, heads, kv heads, ffn hidden, context, ffn, bias.
PRESETS = {
    "nano": (2, 64, 4, 4, 256, 128, "gelu", True),
    "tiny": (4, 128, 4, 4, 512, 256, "gelu", True),
    "gpt2-small": (12, 768, 12, 12, 3072, 1024, "gelu", True),
    "gpt2-medium": (24, 1024, 16, 16, 4096, 1024, "gelu", True),
    "gpt2-large": (36, 1280, 20, 20, 5120, 1024, "gelu", True),
    "llama-small": (12, 768, 12, 4, 2048, 2048, "swiglu", False),
    "agentic-50m": (6, 384, 8, 8, 1536, 512, "swiglu", False),
}

# hermes's defaults for the keys this recipe reads (include/hermes/deck/deck.hpp).
DEFAULTS = {
    "run": {"seed": 1337},
    "model": {"preset": "tiny", "rope_theta": 10000.0, "norm_eps": 1e-5, "init_std": 0.02},
    "train": {"batch_size": 8, "seq_len": 0, "max_steps": 0, "grad_accum": 1, "grad_clip": 1.0,
              "document_mask": False, "log_interval": 10},
    "optim": {"name": "adamw", "lr": 3e-4, "min_lr_ratio": 0.1, "warmup_steps": 100, "schedule": "cosine",
              "decay_fraction": 0.4, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "muon_lr": 0.02,
              "muon_momentum": 0.95, "ns_steps": 5},
    "eval": {"batches": 20},
}

M64 = (1 << 64) - 1


# ---------------------------------------------------------------- seeds (include/hermes/data/random.hpp)
def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def hash_text(text):
    h = 0xCBF29CE484222325
    for c in text.encode():
        h = ((h ^ c) * 0x100000001B3) & M64
    return h


def derive_seed(seed, salt):
    if isinstance(salt, str):
        salt = hash_text(salt)
    return mix64((seed & M64) ^ mix64(salt & M64))


class Permutation:
    """A bijection of [0, n): 4 Feistel rounds on an even bit width, cycle-walking into range."""

    def __init__(self, n, key):
        self.n = n
        bits = 2
        while bits < 64 and (1 << bits) < n:
            bits += 2
        self.half = bits // 2
        self.mask = (1 << self.half) - 1
        self.keys = [derive_seed(key, r) for r in range(4)]

    def _encrypt(self, x):
        l, r = x >> self.half, x & self.mask
        for k in self.keys:
            l, r = r, l ^ (mix64(r ^ k) & self.mask)
        return (l << self.half) | r

    def __call__(self, i):
        if self.n <= 1:
            return i
        i = self._encrypt(i)
        while i >= self.n:
            i = self._encrypt(i)
        return i


# ---------------------------------------------------------------- data (src/data/loader.cpp)
class Split:
    """One split's shards as a token stream, with document starts and the loss mask."""

    def __init__(self, data_dir, split):
        manifest = json.load(open(os.path.join(data_dir, "manifest.json")))
        tokens, masks, starts, at = [], [], [], 0
        for s in manifest["splits"][split]["shards"]:
            with h5py.File(os.path.join(data_dir, s["file"]), "r") as f:
                t = f["tokens"][:].astype(np.int64)
                tokens.append(t)
                masks.append(f["loss_mask"][:].astype(np.uint8) if "loss_mask" in f else np.ones(len(t), np.uint8))
                starts.append(f["doc_offsets"][:].astype(np.int64) + at)
                at += len(t)
        self.tokens = np.concatenate(tokens)
        self.mask = np.concatenate(masks)
        self.is_start = np.zeros(len(self.tokens) + 1, bool)
        self.is_start[np.concatenate(starts)] = True
        self.vocab_size = int(manifest["tokenizer"]["vocab_size"])

    def window(self, w, T):
        """inputs, targets, target mask and per-input document start of window w."""
        b = w * T
        tok = self.tokens[b:b + T + 1]
        idx = np.arange(T + 1)
        doc = np.maximum.accumulate(np.where(self.is_start[b:b + T + 1], idx, 0))
        return tok[:-1], tok[1:], self.mask[b + 1:b + T + 1], doc[:-1]


class Loader:
    """Global batches in the order hermes's `world` ranks of `batch` windows each see them,
    rank-major (rank 0's windows, then rank 1's)."""

    def __init__(self, split, seq_len, batch, world, seed, shuffle, document_mask):
        self.s, self.T, self.B, self.R, self.document_mask = split, seq_len, batch, world, document_mask
        self.windows = (len(split.tokens) - 1) // seq_len if len(split.tokens) > seq_len else 0
        self.global_batch = batch * world
        self.per_epoch = self.windows // self.global_batch
        if self.per_epoch == 0:
            raise ValueError(f"a split of {len(split.tokens)} tokens holds no global batch of {self.global_batch} "
                             f"windows of {seq_len + 1} tokens")
        self.seed, self.shuffle = seed, shuffle
        self.epoch, self.position, self.perm, self.perm_epoch = 0, 0, None, None

    def skip(self, n):
        for _ in range(n):
            if self.position + self.global_batch > self.per_epoch * self.global_batch:
                self.epoch, self.position = self.epoch + 1, 0
            self.position += self.global_batch

    def window_at(self, position):
        if not self.shuffle:
            return position
        if self.perm_epoch != self.epoch:
            self.perm = Permutation(self.windows, derive_seed(derive_seed(self.seed, "loader"), self.epoch))
            self.perm_epoch = self.epoch
        return self.perm(position)

    def next(self):
        if self.position + self.global_batch > self.per_epoch * self.global_batch:
            self.epoch, self.position = self.epoch + 1, 0
        rows = [self.s.window(self.window_at(self.position + r + b * self.R), self.T)
                for r in range(self.R) for b in range(self.B)]
        self.position += self.global_batch
        x, y, m, d = (torch.from_numpy(np.stack(c)) for c in zip(*rows))
        return x.long(), y.long(), m.bool(), d.long() if self.document_mask else torch.zeros_like(x).long()


# ---------------------------------------------------------------- model (src/model/, src/backend/host/)
def layout(cfg):
    """parameter_layout(): name, shape, Muon (a block's 2-D weight), init std (None: ones)."""
    C, F_, L, V = cfg["n_embd"], cfg["ffn_hidden"], cfg["n_layer"], cfg["vocab_size"]
    Q = C + 2 * cfg["n_kv_head"] * (C // cfg["n_head"])
    std, res = cfg["init_std"], cfg["init_std"] / math.sqrt(2.0 * L)
    p = [("tok_emb.weight", (V, C), False, std)]
    for l in range(L):
        b = f"layers.{l}."
        p += [(b + "attn_norm.weight", (C,), False, None), (b + "attn.qkv.weight", (Q, C), True, std),
              (b + "attn.proj.weight", (C, C), True, res), (b + "ffn_norm.weight", (C,), False, None),
              (b + "ffn.gate.weight", (F_, C), True, std), (b + "ffn.up.weight", (F_, C), True, std),
              (b + "ffn.down.weight", (C, F_), True, res)]
    return p + [("final_norm.weight", (C,), False, None)]


class Model:
    def __init__(self, cfg, seq_len, seed, block=256):
        self.cfg, self.block = cfg, block
        g = torch.Generator().manual_seed(seed)
        self.params = {}
        for name, shape, _, std in layout(cfg):
            t = torch.ones(shape) if std is None else torch.randn(shape, generator=g) * std
            self.params[name] = t.requires_grad_()
        D = cfg["n_embd"] // cfg["n_head"]
        # rope_table(): angles in double, stored in fp32.
        f = cfg["rope_theta"] ** (-2.0 * torch.arange(D // 2, dtype=torch.float64) / D)
        ang = torch.arange(seq_len, dtype=torch.float64)[:, None] * f[None, :]
        self.cos, self.sin = ang.cos().float(), ang.sin().float()

    def rmsnorm(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.cfg["norm_eps"]) * w

    def rope(self, t):
        h = t.shape[-1] // 2
        a, b = t[..., :h], t[..., h:]
        return torch.cat([a * self.cos - b * self.sin, a * self.sin + b * self.cos], -1)

    def blocks(self, doc):
        """Query rows block by block against keys [k0, r1) only, k0 the block's first document
        start (as the host attention does): (window, r0, r1, k0, additive mask) per block."""
        B, T = doc.shape
        n = self.block or T
        out = []
        for b in range(B):
            for r0 in range(0, T, n):
                r1 = min(T, r0 + n)
                k0 = int(doc[b, r0])
                j = torch.arange(k0, r1)[None, :]
                allowed = (j <= torch.arange(r0, r1)[:, None]) & (j >= doc[b, r0:r1, None])
                out.append((b, r0, r1, k0, torch.zeros(r1 - r0, r1 - k0).masked_fill_(~allowed, float("-inf"))))
        return out

    def attention(self, q, k, v, blocks):
        scale = 1.0 / math.sqrt(q.shape[-1])
        rows = [[] for _ in range(q.shape[0])]
        for b, r0, r1, k0, mask in blocks:
            s = torch.baddbmm(mask, q[b, :, r0:r1], k[b, :, k0:r1].transpose(-1, -2), alpha=scale)
            rows[b].append(torch.softmax(s, -1) @ v[b, :, k0:r1])
        return torch.stack([torch.cat(r, 1) for r in rows])

    def logits(self, x, doc):
        """(B, T, vocab) logits of a batch of windows; doc: each position's document start."""
        c, P = self.cfg, self.params
        B, T = x.shape
        C, H, KVH = c["n_embd"], c["n_head"], c["n_kv_head"]
        D = C // H
        blocks = self.blocks(doc)
        h = P["tok_emb.weight"][x]
        for l in range(c["n_layer"]):
            p = f"layers.{l}."
            qkv = self.rmsnorm(h, P[p + "attn_norm.weight"]) @ P[p + "attn.qkv.weight"].T
            q, k, v = qkv.split([C, KVH * D, KVH * D], -1)
            q = self.rope(q.view(B, T, H, D).transpose(1, 2))
            k = self.rope(k.view(B, T, KVH, D).transpose(1, 2))
            v = v.view(B, T, KVH, D).transpose(1, 2)
            if KVH != H:
                k, v = k.repeat_interleave(H // KVH, 1), v.repeat_interleave(H // KVH, 1)
            a = self.attention(q, k, v, blocks).transpose(1, 2).reshape(B, T, C)
            h = h + a @ P[p + "attn.proj.weight"].T
            n = self.rmsnorm(h, P[p + "ffn_norm.weight"])
            f = F.silu(n @ P[p + "ffn.gate.weight"].T) * (n @ P[p + "ffn.up.weight"].T)
            h = h + f @ P[p + "ffn.down.weight"].T
        return self.rmsnorm(h, P["final_norm.weight"]) @ P["tok_emb.weight"].T

    def loss_sums(self, x, y, m, doc):
        """(sum of masked token losses, correct predictions, masked tokens) of a batch."""
        logits = self.logits(x, doc)
        rows = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1), reduction="none")
        mk = m.view(-1)
        correct = ((logits.detach().argmax(-1).view(-1) == y.view(-1)) & mk).sum().item()
        return (rows * mk).sum(), correct, int(mk.sum())


# ---------------------------------------------------------------- optimizer (src/optim/optimizer.cpp)
def lr_factor(step, total, warmup, min_ratio, schedule, decay_fraction):
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant" or total <= warmup:
        return 1.0
    progress = min(1.0, (step - warmup) / (total - warmup))
    if schedule == "cosine":
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    stable = 1.0 - decay_fraction  # wsd
    if progress <= stable:
        return 1.0
    return 1.0 - (1.0 - min_ratio) * (progress - stable) / decay_fraction


class Optimizer:
    def __init__(self, model, o):
        self.o, self.model = o, model
        self.muon = {name for name, _, mu, _ in layout(model.cfg) if mu and o["name"] == "muon"}
        self.state = {n: (torch.zeros_like(p),) if n in self.muon else (torch.zeros_like(p), torch.zeros_like(p))
                      for n, p in model.params.items()}

    @torch.no_grad()
    def step(self, step, lrf):
        o = self.o
        b1, b2 = o["beta1"], o["beta2"]
        c1, c2 = np.float32(1.0 - b1 ** step), np.float32(1.0 - b2 ** step)
        lr = float(np.float32(o["lr"] * lrf))
        for name, p in self.model.params.items():
            g = p.grad
            if name in self.muon:
                self.muon_update(p, g, self.state[name][0], o["muon_lr"] * lrf)
                continue
            m, v = self.state[name]
            m.mul_(b1).add_(g, alpha=1.0 - b1)
            v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
            p.sub_(lr * (m / float(c1)) / ((v / float(c2)).sqrt_() + o["eps"]))  # no decay: embedding, norms

    def muon_update(self, p, g, mom, lr):
        o = self.o
        mu = o["muon_momentum"]
        mom.mul_(mu).add_(g)
        u = g + mu * mom
        rows, cols = p.shape
        tall = rows > cols
        x = u.T.contiguous() if tall else u.clone()
        x *= float(np.float32(1.0 / (math.sqrt(x.double().pow(2).sum().item()) + 1e-7)))
        a, b, c = 3.4445, -4.7750, 2.0315
        for _ in range(o["ns_steps"]):
            A = x @ x.T
            Bm = c * (A @ A) + b * A
            x = a * x + Bm @ x
        step = float(np.float32(lr * math.sqrt(max(1.0, rows / cols))))
        p.mul_(float(np.float32(1.0 - lr * o["weight_decay"]))).sub_(step * (x.T if tall else x))


# ---------------------------------------------------------------- HuggingFace directories (src/interop/)
def hf_names(cfg):
    """(hf name, hermes name, first row) for every tensor (interop/layout.cpp tensor_pieces)."""
    C, KV = cfg["n_embd"], cfg["n_kv_head"] * (cfg["n_embd"] // cfg["n_head"])
    out = [("model.embed_tokens.weight", "tok_emb.weight", 0, None)]
    for l in range(cfg["n_layer"]):
        hf, h = f"model.layers.{l}.", f"layers.{l}."
        out += [(hf + "input_layernorm.weight", h + "attn_norm.weight", 0, None),
                (hf + "self_attn.q_proj.weight", h + "attn.qkv.weight", 0, C),
                (hf + "self_attn.k_proj.weight", h + "attn.qkv.weight", C, KV),
                (hf + "self_attn.v_proj.weight", h + "attn.qkv.weight", C + KV, KV),
                (hf + "self_attn.o_proj.weight", h + "attn.proj.weight", 0, None),
                (hf + "post_attention_layernorm.weight", h + "ffn_norm.weight", 0, None),
                (hf + "mlp.gate_proj.weight", h + "ffn.gate.weight", 0, None),
                (hf + "mlp.up_proj.weight", h + "ffn.up.weight", 0, None),
                (hf + "mlp.down_proj.weight", h + "ffn.down.weight", 0, None)]
    return out + [("model.norm.weight", "final_norm.weight", 0, None)]


def token_id(tok, text):
    for a in tok.get("added_tokens", []):
        if a["content"] == text:
            return a["id"]
    return tok["model"]["vocab"].get(text, -1)


def save_hf(model, tokenizer_path, out_dir, info):
    """config.json as `hermes export --format hf` writes it, fp32 model.safetensors, tokenizer.json.
    hermes's RoPE rotates like transformers' rotate_half: q and k are plain row slices of qkv."""
    c = model.cfg
    os.makedirs(out_dir, exist_ok=True)
    tok = json.load(open(tokenizer_path))
    end = token_id(tok, "<|endoftext|>")
    pad = token_id(tok, "<|pad|>")
    pad = end if pad < 0 else pad
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": c["vocab_size"],
              "hidden_size": c["n_embd"], "intermediate_size": c["ffn_hidden"], "num_hidden_layers": c["n_layer"],
              "num_attention_heads": c["n_head"], "num_key_value_heads": c["n_kv_head"],
              "head_dim": c["n_embd"] // c["n_head"], "hidden_act": "silu",
              "max_position_embeddings": c["context_length"], "rms_norm_eps": c["norm_eps"],
              "rope_theta": c["rope_theta"], "rope_scaling": None, "tie_word_embeddings": True,
              "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False,
              "initializer_range": c["init_std"], "pretraining_tp": 1, "use_cache": True,
              "bos_token_id": end, "eos_token_id": end, "pad_token_id": pad, "torch_dtype": "float32"}
    header, blobs, offset = {}, [], 0
    for hf, name, row0, rows in hf_names(c):
        t = model.params[name].detach()
        if rows is not None:
            t = t[row0:row0 + rows]
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[hf] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    tmp = os.path.join(out_dir, "model.safetensors.tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)
    os.replace(tmp, os.path.join(out_dir, "model.safetensors"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    shutil.copyfile(tokenizer_path, os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "torch_state.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def read_safetensors(path):
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    out = {}
    for name, info in json.loads(blob[8:8 + n]).items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = blob[8 + n + b:8 + n + e]
        if info["dtype"] == "F32":
            a = np.frombuffer(raw, "<f4")
        elif info["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            sys.exit(f"{path}: tensor {name} has dtype {info['dtype']}; F32, F16 and BF16 are read")
        out[name] = torch.from_numpy(a.reshape(info["shape"]).copy())
    return out


def load_hf(model, hf_dir):
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    c = model.cfg
    want = {"vocab_size": c["vocab_size"], "hidden_size": c["n_embd"], "intermediate_size": c["ffn_hidden"],
            "num_hidden_layers": c["n_layer"], "num_attention_heads": c["n_head"],
            "num_key_value_heads": c["n_kv_head"]}
    for k, v in want.items():
        if cfg.get(k) != v:
            sys.exit(f"{hf_dir}/config.json: {k} = {cfg.get(k)}, the deck's model has {v}")
    for k in ("rms_norm_eps", "rope_theta"):
        if not math.isclose(cfg[k], c["norm_eps" if k == "rms_norm_eps" else "rope_theta"]):
            sys.exit(f"{hf_dir}/config.json: {k} = {cfg[k]} differs from the deck's model")
    W = read_safetensors(os.path.join(hf_dir, "model.safetensors"))
    with torch.no_grad():
        for hf, name, row0, rows in hf_names(c):
            dst = model.params[name]
            if rows is not None:
                dst = dst[row0:row0 + rows]
            if tuple(W[hf].shape) != tuple(dst.shape):
                sys.exit(f"{hf_dir}: {hf} has shape {list(W[hf].shape)}, expected {list(dst.shape)}")
            dst.copy_(W[hf])


# ---------------------------------------------------------------- the recipe
def resolve(deck_path, sets, vocab_size):
    deck = tomllib.load(open(deck_path, "rb"))
    for s in sets:
        key, value = s.split("=", 1)
        sec, k = key.split(".", 1)
        try:
            v = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            v = value
        deck.setdefault(sec, {})[k] = v
    r = {sec: dict(vals) for sec, vals in DEFAULTS.items()}
    for sec in r:
        r[sec].update({k: v for k, v in deck.get(sec, {}).items() if k in r[sec] or sec == "model"})
    m = r["model"]
    L, C, H, KVH, Fh, ctx, ffn, bias = PRESETS[m["preset"]]
    if "n_head" in m and "n_kv_head" not in m and KVH == H:
        KVH = m["n_head"]  # resolve_model(): a new head count keeps multi-head attention
    cfg = {"n_layer": L, "n_embd": C, "n_head": H, "n_kv_head": KVH, "ffn_hidden": Fh, "context_length": ctx,
           "ffn": ffn, "bias": bias, "vocab_size": vocab_size}
    cfg.update({k: v for k, v in m.items() if k != "preset"})
    if cfg["ffn"] != "swiglu" or cfg["bias"]:
        sys.exit("this reference covers SwiGLU models without biases (the speedrun's model.ffn / model.bias)")
    if cfg["n_embd"] % cfg["n_head"] or cfg["n_head"] % cfg["n_kv_head"]:
        sys.exit("model: the heads do not divide the width, or the KV heads the heads")
    t = r["train"]
    t["seq_len"] = t["seq_len"] or cfg["context_length"]
    if t["grad_accum"] != 1:
        sys.exit("train.grad_accum > 1 is not reproduced (the speedrun uses 1)")
    return cfg, r


def eval_loss(model, data_dir, name, cfg_run, ranks, batches):
    """The evaluate stage's loss: the split in stream order, min(batches, one pass) global batches
    (None where hermes skips the split: absent or smaller than one global batch)."""
    t = cfg_run["train"]
    if not json.load(open(os.path.join(data_dir, "manifest.json")))["splits"].get(name, {}).get("tokens"):
        return None
    try:
        ld = Loader(Split(data_dir, name), t["seq_len"], t["batch_size"], ranks, cfg_run["run"]["seed"], False,
                    t["document_mask"])
    except ValueError:
        return None
    tot = corr = cnt = 0.0
    with torch.no_grad():
        for _ in range(min(batches, ld.per_epoch)):
            s, c, n = model.loss_sums(*ld.next())
            tot, corr, cnt = tot + s.item(), corr + c, cnt + n
    return {"loss": tot / cnt, "accuracy": corr / cnt, "tokens": int(cnt)}


def main():
    start = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run-dir", required=True, help="hermes run directory (data/ and tokenizer.json)")
    ap.add_argument("--out", help="folder for metrics.csv and the hf/ model directories")
    ap.add_argument("--deck", default=DEFAULT_DECK)
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="deck override")
    ap.add_argument("--ranks", type=int, default=2, help="hermes ranks to emulate (global batch = ranks x batch_size)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attn-block", type=int, default=256, help="query rows per attention block (0: one block)")
    ap.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget")
    ap.add_argument("--max-steps", type=int, help="steps the schedule spans (default: the deck's train.max_steps)")
    ap.add_argument("--save-at-minutes", default="5,10,15,20,25,30")
    ap.add_argument("--log-interval", type=int, help="default: the deck's train.log_interval")
    ap.add_argument("--init-seed", type=int, help="torch seed of the initialisation (default run.seed)")
    ap.add_argument("--init-from", help="HuggingFace directory whose weights start training")
    ap.add_argument("--save-init", action="store_true", help="also write the starting weights (OUT/hf/init)")
    ap.add_argument("--check-against", metavar="HF_DIR", help="print losses of HF_DIR's weights and exit")
    ap.add_argument("--check-steps", default="1", help="training steps whose global batch --check-against scores")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data_dir = os.path.join(a.run_dir, "data")
    tokenizer_path = os.path.join(a.run_dir, "tokenizer.json")
    train = Split(data_dir, "train")
    sets = a.set + ([f"train.max_steps={a.max_steps}"] if a.max_steps is not None else [])
    cfg, r = resolve(a.deck, sets, train.vocab_size)
    t, o = r["train"], r["optim"]
    seed = r["run"]["seed"]
    model = Model(cfg, t["seq_len"], seed if a.init_seed is None else a.init_seed, a.attn_block)
    try:
        loader = Loader(train, t["seq_len"], t["batch_size"], a.ranks, seed, True, t["document_mask"])
    except ValueError as e:
        sys.exit(f"{data_dir}: train: {e}")

    if a.check_against:
        load_hf(model, a.check_against)
        out = {"weights": a.check_against, "train": {}}
        with torch.no_grad():
            done = 0
            for k in sorted(int(s) for s in a.check_steps.split(",")):
                loader.skip(k - 1 - done)
                s, c, n = model.loss_sums(*loader.next())
                done = k
                out["train"][f"step_{k}"] = {"loss": s.item() / n, "accuracy": c / n}
        for split in ("val", "test"):
            if r["eval"]["batches"] > 0:
                out[split] = eval_loss(model, data_dir, split, r, a.ranks, r["eval"]["batches"])
        print(json.dumps(out, indent=2))
        return

    if not a.out:
        sys.exit("--out is needed for training")
    if a.init_from:
        load_hf(model, a.init_from)
    total = t["max_steps"]
    if total <= 0:
        sys.exit("train.max_steps must be set (the schedule spans it)")
    opt = Optimizer(model, o)
    log_every = a.log_interval or t["log_interval"]
    marks = sorted(float(m) for m in a.save_at_minutes.split(",") if m.strip())
    hf_root = os.path.join(a.out, "hf")
    os.makedirs(hf_root, exist_ok=True)
    csv_file = open(os.path.join(a.out, "metrics.csv"), "w", newline="")
    log = csv.writer(csv_file)
    log.writerow(["step", "seconds", "loss", "accuracy", "lr", "grad_norm", "tokens_per_s"])
    n_params = sum(p.numel() for p in model.params.values())
    per_step = t["batch_size"] * a.ranks * t["seq_len"]
    print(f"pytorch {torch.__version__}, {a.threads} threads | model {cfg['n_layer']} layers, width {cfg['n_embd']}, "
          f"{cfg['n_head']}/{cfg['n_kv_head']} heads, ffn {cfg['ffn_hidden']}, vocab {cfg['vocab_size']}: {n_params} "
          f"parameters | {a.ranks} x {t['batch_size']} x {t['seq_len']} = {per_step} tokens per step | "
          f"{total} steps or {a.minutes:g} minutes | optimizer {o['name']}", flush=True)
    paused = 0.0  # seconds spent writing model directories

    def elapsed():
        return time.perf_counter() - start - paused

    def save(label, step, loss):
        nonlocal paused
        t0 = time.perf_counter()
        info = {"step": step, "seconds": round(elapsed(), 2), "tokens": step * per_step, "train_loss": loss,
                "max_steps": total}
        save_hf(model, tokenizer_path, os.path.join(hf_root, label), info)
        paused += time.perf_counter() - t0
        print(f"wrote {os.path.join(hf_root, label)} (step {step}, {info['seconds']:.0f} s)", flush=True)

    if a.save_init:
        save("init", 0, None)
    step, last_saved, loss, window_t, window_steps = 0, -1, None, elapsed(), 0
    while step < total and elapsed() < a.minutes * 60:
        for p in model.params.values():
            p.grad = None
        s, correct, count = model.loss_sums(*loader.next())
        (s / count).backward()  # the summed losses over the global token count
        with torch.no_grad():
            grads = [p.grad for p in model.params.values()]
            gnorm = math.sqrt(sum(g.double().pow(2).sum().item() for g in grads))
            if not math.isfinite(gnorm) or not math.isfinite(s.item()):
                sys.exit(f"step {step + 1}: training diverged")
            if t["grad_clip"] > 0 and gnorm > t["grad_clip"]:
                clip = float(np.float32(t["grad_clip"] / gnorm))
                for g in grads:
                    g.mul_(clip)
        lrf = lr_factor(step, total, o["warmup_steps"], o["min_lr_ratio"], o["schedule"], o["decay_fraction"])
        opt.step(step + 1, lrf)
        step += 1
        window_steps += 1
        loss = s.item() / count
        now = elapsed()
        if step == 1 or step % log_every == 0 or step == total:
            tok_s = window_steps * per_step / max(now - window_t, 1e-9)
            log.writerow([step, f"{now:.2f}", f"{loss:.6f}", f"{correct / count:.6f}", f"{o['lr'] * lrf:.6e}",
                          f"{gnorm:.6f}", f"{tok_s:.1f}"])
            csv_file.flush()
            print(f"step {step:>6}/{total} | loss {loss:.4f} | acc {100 * correct / count:5.1f}% "
                  f"| lr {o['lr'] * lrf:.2e} | gnorm {gnorm:6.3f} | {tok_s:.0f} tok/s | {now / 60:.1f} min", flush=True)
            window_t, window_steps = now, 0
        while marks and now >= marks[0] * 60:
            save(f"minute_{marks.pop(0):02g}", step, loss)
            last_saved = step
    if last_saved != step:
        save("final", step, loss)
    print(f"done: {step} steps, {step * per_step} tokens in {elapsed() / 60:.2f} min", flush=True)


if __name__ == "__main__":
    main()
