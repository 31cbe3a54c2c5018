#!/usr/bin/env python3
"""Independent PyTorch reference for the hermes transformer.

Reads a hermes HDF5 checkpoint (weights + model JSON) and a batch file written by the test
(/inputs, /targets, /mask, and hermes' loss and gradients under /hermes), recomputes the loss
and every parameter gradient in float64 with plain PyTorch ops, and compares.

usage: torch_reference.py CHECKPOINT BATCH   (exit 0: agree, 1: disagree, 77: torch missing)
"""
import json
import math
import sys

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the ctest wrapper turns this into a skip
    print(f"SKIPPED: /usr/bin/python3 lacks {e.name} (apt-get install python3-torch python3-h5py)")
    sys.exit(77)


def rope(x, theta):
    # x: (B, heads, T, D); rotate-half convention, frequencies theta^(-2i/D).
    B, Hh, T, D = x.shape
    half = D // 2
    inv = theta ** (-2.0 * torch.arange(half, dtype=torch.float64) / D)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def rmsnorm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def forward(cfg, p, inputs, targets, mask):
    C, H, KVH = cfg["n_embd"], cfg["n_head"], cfg["n_kv_head"]
    D = C // H
    B, T = inputs.shape
    eps = cfg["norm_eps"]

    def lin(x, name):
        y = x @ p[name + ".weight"].T
        if cfg["bias"]:
            y = y + p[name + ".bias"]
        return y

    x = p["tok_emb.weight"][inputs]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        b = f"layers.{l}."
        h = rmsnorm(x, p[b + "attn_norm.weight"], eps)
        qkv = lin(h, b + "attn.qkv")
        q, k, v = qkv.split([C, KVH * D, KVH * D], dim=-1)
        q = rope(q.view(B, T, H, D).transpose(1, 2), cfg["rope_theta"])
        k = rope(k.view(B, T, KVH, D).transpose(1, 2), cfg["rope_theta"])
        v = v.view(B, T, KVH, D).transpose(1, 2)
        k = k.repeat_interleave(H // KVH, dim=1)
        v = v.repeat_interleave(H // KVH, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        s = s.masked_fill(~causal, float("-inf"))
        a = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + lin(a, b + "attn.proj")
        h2 = rmsnorm(x, p[b + "ffn_norm.weight"], eps)
        if cfg["ffn"] == "swiglu":
            f = F.silu(lin(h2, b + "ffn.gate")) * lin(h2, b + "ffn.up")
        else:
            f = F.gelu(lin(h2, b + "ffn.up"), approximate="tanh")
        x = x + lin(f, b + "ffn.down")
    x = rmsnorm(x, p["final_norm.weight"], eps)
    logits = x @ p["tok_emb.weight"].T
    per_tok = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    m = mask.reshape(-1).to(torch.float64)
    loss = (per_tok * m).sum() / m.sum()
    correct = ((logits.reshape(-1, logits.shape[-1]).argmax(-1) == targets.reshape(-1)).to(torch.float64) * m).sum()
    return loss, correct / m.sum()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    with h5py.File(sys.argv[1], "r") as ck, h5py.File(sys.argv[2], "r") as bf:
        cfg = json.loads(ck.attrs["model"])
        names = []
        ck["model"].visit(lambda n: names.append(n) if isinstance(ck["model"][n], h5py.Dataset) else None)
        p = {n: torch.tensor(np.asarray(ck["model"][n], dtype=np.float64), requires_grad=True) for n in names}
        inputs = torch.tensor(np.asarray(bf["inputs"], dtype=np.int64))
        targets = torch.tensor(np.asarray(bf["targets"], dtype=np.int64))
        mask = torch.tensor(np.asarray(bf["mask"], dtype=np.int64))
        h_loss = float(bf["hermes"].attrs["loss"])
        h_acc = float(bf["hermes"].attrs["accuracy"])
        h_grads = {n: np.asarray(bf["hermes/grads"][n], dtype=np.float64) for n in names}

    loss, acc = forward(cfg, p, inputs, targets, mask)
    loss.backward()
    ok = True
    print(f"loss: hermes {h_loss:.7f} torch {loss.item():.7f}; accuracy: hermes {h_acc:.5f} torch {acc.item():.5f}")
    if abs(h_loss - loss.item()) > 1e-4 * max(1.0, abs(loss.item())):
        print("MISMATCH in loss")
        ok = False
    if abs(h_acc - acc.item()) > 1e-9:
        print("MISMATCH in accuracy")
        ok = False
    worst = 0.0
    for n in names:
        ref = p[n].grad.numpy().reshape(h_grads[n].shape)
        scale = max(np.abs(ref).max(), 1e-6)
        err = np.abs(ref - h_grads[n]).max() / scale
        worst = max(worst, err)
        if err > 2e-3:
            print(f"MISMATCH in gradient of {n}: max |diff| / max |grad| = {err:.2e}")
            ok = False
    print(f"{len(names)} gradients compared; worst relative error {worst:.2e}")
    print("AGREE" if ok else "DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
