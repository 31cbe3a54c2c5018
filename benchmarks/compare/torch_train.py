#!/usr/bin/env python3
"""PyTorch CPU training throughput for the same model hermes trains (peer comparison).

Same architecture (RMSNorm pre-norm, RoPE, GQA, GELU-tanh or SwiGLU, tied embedding), fp32,
AdamW, random tokens. Prints one JSON object.
usage: torch_train.py --preset tiny --batch 16 --seq 256 --steps 10 --threads 2
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # layers, width, heads, kv heads, ffn hidden, ffn, bias, reference vocab
    "nano": (2, 64, 4, 4, 256, "gelu", True, 512),
    "tiny": (4, 128, 4, 4, 512, "gelu", True, 2048),
    "gpt2-small": (12, 768, 12, 12, 3072, "gelu", True, 50257),
    "llama-small": (12, 768, 12, 4, 2048, "swiglu", False, 32000),
    "agentic-50m": (6, 384, 8, 8, 1536, "swiglu", False, 49152),
}


class RMSNorm(nn.Module):
    def __init__(self, c, eps=1e-5):
        super().__init__()
        self.w = nn.Parameter(torch.ones(c))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


class Block(nn.Module):
    def __init__(self, C, H, KVH, Fh, ffn, bias):
        super().__init__()
        self.C, self.H, self.KVH, self.D = C, H, KVH, C // H
        self.n1, self.n2 = RMSNorm(C), RMSNorm(C)
        self.qkv = nn.Linear(C, C + 2 * KVH * self.D, bias=bias)
        self.proj = nn.Linear(C, C, bias=bias)
        self.ffn = ffn
        if ffn == "swiglu":
            self.gate = nn.Linear(C, Fh, bias=bias)
        self.up = nn.Linear(C, Fh, bias=bias)
        self.down = nn.Linear(Fh, C, bias=bias)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        D, H, KVH = self.D, self.H, self.KVH
        q, k, v = self.qkv(self.n1(x)).split([C, KVH * D, KVH * D], dim=-1)
        q = q.view(B, T, H, D).transpose(1, 2)
        k = k.view(B, T, KVH, D).transpose(1, 2)
        v = v.view(B, T, KVH, D).transpose(1, 2)

        def rot(t):
            h = D // 2
            return torch.cat([t[..., :h] * cos - t[..., h:] * sin, t[..., :h] * sin + t[..., h:] * cos], -1)

        q, k = rot(q), rot(k)
        if KVH != H:
            k = k.repeat_interleave(H // KVH, 1)
            v = v.repeat_interleave(H // KVH, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        a = (torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(a)
        h = self.n2(x)
        f = F.silu(self.gate(h)) * self.up(h) if self.ffn == "swiglu" else F.gelu(self.up(h), approximate="tanh")
        return x + self.down(f)


class Model(nn.Module):
    def __init__(self, L, C, H, KVH, Fh, ffn, bias, V, T):
        super().__init__()
        self.emb = nn.Embedding(V, C)
        self.blocks = nn.ModuleList([Block(C, H, KVH, Fh, ffn, bias) for _ in range(L)])
        self.norm = RMSNorm(C)
        D = C // H
        inv = 10000.0 ** (-2.0 * torch.arange(D // 2) / D)
        ang = torch.arange(T)[:, None] * inv[None, :]
        self.register_buffer("cos", torch.cos(ang))
        self.register_buffer("sin", torch.sin(ang))
        self.register_buffer("mask", ~torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def forward(self, idx, targets):
        x = self.emb(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin, self.mask)
        logits = self.norm(x) @ self.emb.weight.T
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    L, C, H, KVH, Fh, ffn, bias, V = PRESETS[a.preset]
    model = Model(L, C, H, KVH, Fh, ffn, bias, V, a.seq)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    idx = torch.randint(0, V, (a.batch, a.seq))
    tgt = torch.randint(0, V, (a.batch, a.seq))
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start, cpu_start = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = model(idx, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    n = sum(p.numel() for p in model.parameters())
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "preset": a.preset, "threads": a.threads,
                      "batch": a.batch, "seq_len": a.seq, "parameters": n, "steps": a.steps,
                      "seconds": round(secs, 3), "tokens_per_s": round(a.steps * a.batch * a.seq / secs, 1),
                      "cpu_seconds": round(cpu, 3), "tokens_per_cpu_s": round(a.steps * a.batch * a.seq / cpu, 1)}))


if __name__ == "__main__":
    main()
