#!/usr/bin/env python3
"""PyTorch 2.x reference of hermes's transformer, for the GPU speed comparison.

The same model as include/hermes/model/transformer.hpp and model::parameter_layout: pre-norm
blocks with RMSNorm (weight only), a fused qkv projection (grouped-query heads), RoPE in the
rotate-half convention on q and k, causal attention, a GELU (tanh) or SwiGLU FFN, biases when the
preset has them, and the output head tied to the token embedding. bf16 autocast, torch.compile,
SDPA (flash attention) and fused AdamW (weight decay on the hidden matrices only, as hermes).

Prints one JSON object per model: tokens/s, step time, MFU by the PaLM formula (6N + 12 L H Q T
per token) against 989 TFLOP/s (H100 SXM dense bf16), peak memory.

  python3 benchmarks/compare/torch_gpu.py --model gpt2-small --batch 16 --seq 1024
  python3 benchmarks/compare/torch_gpu.py --model agentic-50m --batch 64 --seq 512
  python3 benchmarks/compare/torch_gpu.py --model tiny --device cpu --no-compile --steps 2  # smoke test
(benchmarks/compare/torch_train.py is the CPU/fp32 peer of the host backend.)
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: layers, width, heads, kv heads, ffn hidden, context, ffn, bias, vocab (model/config.cpp)
PRESETS = {
    "gpt2-small": (12, 768, 12, 12, 3072, 1024, "gelu", True, 50257),
    "agentic-50m": (6, 384, 8, 8, 1536, 512, "swiglu", False, 49152),
    "llama-small": (12, 768, 12, 4, 2048, 2048, "swiglu", False, 32000),
    "tiny": (4, 128, 4, 4, 512, 256, "gelu", True, 2048),
}
PEAK_FLOPS = 989e12


class RMSNorm(nn.Module):
    def __init__(self, c, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def rope(x, cos, sin):  # x (B, H, T, D); rotate-half
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, c, h, kvh, f, ffn, bias, eps):
        super().__init__()
        self.h, self.kvh, self.d = h, kvh, c // h
        self.attn_norm = RMSNorm(c, eps)
        self.qkv = nn.Linear(c, (h + 2 * kvh) * self.d, bias=bias)
        self.proj = nn.Linear(c, c, bias=bias)
        self.ffn_norm = RMSNorm(c, eps)
        self.ffn = ffn
        if ffn == "swiglu":
            self.gate = nn.Linear(c, f, bias=bias)
        self.up = nn.Linear(c, f, bias=bias)
        self.down = nn.Linear(f, c, bias=bias)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        qkv = self.qkv(self.attn_norm(x))
        q, k, v = qkv.split([self.h * self.d, self.kvh * self.d, self.kvh * self.d], dim=-1)
        q = q.view(B, T, self.h, self.d).transpose(1, 2)
        k = k.view(B, T, self.kvh, self.d).transpose(1, 2)
        v = v.view(B, T, self.kvh, self.d).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if self.kvh != self.h:
            k = k.repeat_interleave(self.h // self.kvh, dim=1)
            v = v.repeat_interleave(self.h // self.kvh, dim=1)
        if hasattr(F, "scaled_dot_product_attention"):  # torch >= 2.0: flash attention on GPU
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # smoke tests on older CPU torch
            s = (q @ k.transpose(-1, -2)) / math.sqrt(self.d)
            s = s.masked_fill(torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
            a = torch.softmax(s.float(), dim=-1).type_as(v) @ v
        x = x + self.proj(a.transpose(1, 2).reshape(B, T, C))
        h = self.ffn_norm(x)
        if self.ffn == "swiglu":
            f = F.silu(self.gate(h)) * self.up(h)
        else:
            f = F.gelu(self.up(h), approximate="tanh")
        return x + self.down(f)


class Model(nn.Module):
    def __init__(self, preset, eps=1e-5, theta=10000.0):
        super().__init__()
        L, c, h, kvh, f, ctx, ffn, bias, vocab = PRESETS[preset]
        self.cfg = PRESETS[preset]
        self.tok_emb = nn.Embedding(vocab, c)
        self.layers = nn.ModuleList([Block(c, h, kvh, f, ffn, bias, eps) for _ in range(L)])
        self.final_norm = RMSNorm(c, eps)
        d = c // h
        inv = theta ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2 / d)
        ang = torch.arange(ctx, dtype=torch.float64)[:, None] * inv[None, :]
        self.register_buffer("cos", ang.cos().float(), persistent=False)
        self.register_buffer("sin", ang.sin().float(), persistent=False)
        for name, p in self.named_parameters():  # GPT-2 init, as Transformer::init
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith(("proj.weight", "down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        T = idx.shape[1]
        dt = torch.bfloat16 if idx.is_cuda else torch.float32
        cos, sin = self.cos[:T].to(dt), self.sin[:T].to(dt)
        x = self.tok_emb(idx)
        for blk in self.layers:
            x = blk(x, cos, sin)
        logits = F.linear(self.final_norm(x), self.tok_emb.weight)
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.view(-1))


def flops_per_token(model, seq):
    L, c, h, *_ = model.cfg
    n = sum(p.numel() for p in model.parameters())
    return 6 * n + 12 * L * h * (c // h) * seq, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="gpt2-small", choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=0, help="0: the preset's context length")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--device", default="cuda", help="cuda (the benchmark) or cpu (a smoke test)")
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = True
    dev = a.device
    cuda = dev.startswith("cuda")
    model = Model(a.model).to(dev)
    seq = a.seq or model.cfg[5]
    vocab = model.cfg[8]
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and n != "tok_emb.weight"]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and n != "tok_emb.weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8, **({"fused": True} if cuda else {}))
    step_fn = model if a.no_compile else torch.compile(model)
    x = torch.randint(0, vocab, (a.batch, seq), device=dev)
    y = torch.randint(0, vocab, (a.batch, seq), device=dev)

    def step():
        if cuda:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = step_fn(x, y)
        else:
            loss = step_fn(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for _ in range(a.warmup):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    sync()
    dt = (time.perf_counter() - t0) / a.steps
    fpt, n = flops_per_token(model, seq)
    tok_s = a.batch * seq / dt
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "device": torch.cuda.get_device_name() if cuda else "cpu",
        "model": a.model, "params": n, "batch": a.batch, "seq": seq, "step_ms": dt * 1e3,
        "tokens_per_s": tok_s, "mfu": tok_s * fpt / PEAK_FLOPS, "loss": float(loss),
        "peak_mem_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None, "compiled": not a.no_compile,
    }))


if __name__ == "__main__":
    main()
