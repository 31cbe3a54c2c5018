#!/usr/bin/env python3
"""Independent check of a HuggingFace Llama export against hermes' own logits.

Reads EXPORT_DIR (config.json + model.safetensors, or shards named by model.safetensors.index.json),
recomputes every position's logits in float64 following HuggingFace's LlamaForCausalLM, and compares
them with LOGITS_JSON ({"sequences": [{"tokens": [...], "logits": [[...] per position]}]}).
With a chat_template in EXPORT_DIR/tokenizer_config.json and chat_cases.json next to LOGITS_JSON,
each case is also rendered with jinja2 and must equal its "expected" text.

usage: hf_reference.py EXPORT_DIR LOGITS_JSON   (exit 0: agree, 1: disagree, 77: torch missing)
"""
import json
import math
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the ctest wrapper turns this into a skip
    print(f"SKIPPED: /usr/bin/python3 lacks {e.name}")
    sys.exit(77)


class Disagree(Exception):  # a finding to report, not a crash
    pass


DECODE = {
    "F32": lambda raw: np.frombuffer(raw, dtype="<f4"),
    "F16": lambda raw: np.frombuffer(raw, dtype="<f2").astype(np.float32),
    # bf16 is the top half of a float32
    "BF16": lambda raw: (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32),
}


def read_safetensors(path):
    # Parsed by hand so the check does not share a loader with any exporter.
    with open(path, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in DECODE:
            raise Disagree(f"{os.path.basename(path)}: tensor {name} has unsupported dtype {info['dtype']}")
        b, e = info["data_offsets"]
        arr, shape = DECODE[info["dtype"]](blob[8 + n + b:8 + n + e]), tuple(info["shape"])
        if arr.size != math.prod(shape):
            raise Disagree(f"{os.path.basename(path)}: tensor {name} holds {arr.size} values, shape {list(shape)}")
        out[name] = arr.reshape(shape)
    return out


def load_weights(export_dir):
    index = os.path.join(export_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for file in sorted(set(weight_map.values())):
            for name, arr in read_safetensors(os.path.join(export_dir, file)).items():
                if weight_map.get(name) != file:
                    raise Disagree(f"{file} holds {name}, which the index maps to {weight_map.get(name)}")
                tensors[name] = arr
        missing = sorted(set(weight_map) - set(tensors))
        if missing:
            raise Disagree(f"index names tensors absent from their shards: {missing}")
        return tensors
    return read_safetensors(os.path.join(export_dir, "model.safetensors"))


def expected_shapes(cfg):
    V, C, I = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    H, KVH = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    D = cfg.get("head_dim") or C // H
    shapes = {"model.embed_tokens.weight": (V, C), "model.norm.weight": (C,)}
    if not cfg.get("tie_word_embeddings", False):
        shapes["lm_head.weight"] = (V, C)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (C,)
        shapes[p + "post_attention_layernorm.weight"] = (C,)
        for proj, out_f, in_f, bias in (
                ("self_attn.q_proj", H * D, C, "attention_bias"), ("self_attn.k_proj", KVH * D, C, "attention_bias"),
                ("self_attn.v_proj", KVH * D, C, "attention_bias"), ("self_attn.o_proj", C, H * D, "attention_bias"),
                ("mlp.gate_proj", I, C, "mlp_bias"), ("mlp.up_proj", I, C, "mlp_bias"), ("mlp.down_proj", C, I, "mlp_bias")):
            shapes[p + proj + ".weight"] = (out_f, in_f)
            if cfg.get(bias, False):
                shapes[p + proj + ".bias"] = (out_f,)
    return shapes


def check_config(cfg):  # features this reference does not model
    if cfg.get("hidden_act", "silu") != "silu":
        raise Disagree(f"hidden_act {cfg['hidden_act']!r} is not silu")
    if cfg.get("rope_scaling") is not None:
        raise Disagree("rope_scaling is set; this reference covers plain RoPE only")
    H, KVH = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    if H % KVH:
        raise Disagree(f"num_attention_heads {H} is not a multiple of num_key_value_heads {KVH}")


def rmsnorm(x, w, eps):  # LlamaRMSNorm
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(cfg, W, tokens):
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KVH = cfg.get("num_key_value_heads") or H
    D = cfg.get("head_dim") or C // H
    eps, T = cfg["rms_norm_eps"], len(tokens)

    def lin(x, name):
        y = x @ W[name + ".weight"].T
        return y + W[name + ".bias"] if name + ".bias" in W else y

    inv_freq = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    emb = torch.cat([torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]] * 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()
    causal = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)

    x = W["model.embed_tokens.weight"][torch.tensor(tokens, dtype=torch.long)]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rmsnorm(x, W[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj").view(T, H, D).transpose(0, 1)
        k = lin(h, p + "self_attn.k_proj").view(T, KVH, D).transpose(0, 1)
        v = lin(h, p + "self_attn.v_proj").view(T, KVH, D).transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KVH, dim=0), v.repeat_interleave(H // KVH, dim=0)  # repeat_kv
        s = q @ k.transpose(-1, -2) / math.sqrt(D) + causal
        a = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, H * D)
        x = x + lin(a, p + "self_attn.o_proj")
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"], eps)
        x = x + lin(F.silu(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rmsnorm(x, W["model.norm.weight"], eps)
    head = W["lm_head.weight"] if "lm_head.weight" in W else W["model.embed_tokens.weight"]
    return x @ head.T


def compare_logits(cfg, W, sequences):
    bf16 = str(cfg.get("torch_dtype", "float32")) == "bfloat16"
    rel_tol = 5e-2 if bf16 else 1e-4
    problems = []
    print(f"torch_dtype {cfg.get('torch_dtype', 'float32')}: tolerance {rel_tol:g} * max(1, max|logit|)")
    for n, seq in enumerate(sequences):
        tokens = seq["tokens"]
        ours = np.asarray(seq["logits"], dtype=np.float64)
        if any(t < 0 or t >= cfg["vocab_size"] for t in tokens) or len(tokens) > cfg["max_position_embeddings"]:
            raise Disagree(f"sequence {n}: token id out of range or longer than max_position_embeddings")
        if ours.shape != (len(tokens), cfg["vocab_size"]):
            raise Disagree(f"sequence {n}: hermes logits have shape {list(ours.shape)}, "
                           f"expected [{len(tokens)}, {cfg['vocab_size']}]")
        ref = forward(cfg, W, tokens).numpy()
        diff, scale = np.abs(ref - ours).max(), np.abs(ref).max()
        tol = rel_tol * max(1.0, scale)
        # An argmax may legitimately flip where hermes' top two are closer than the tolerance allows.
        margin = 2 * tol if bf16 else 1e-4
        top2 = np.sort(ours, axis=-1)[:, -2:]
        decided = (top2[:, 1] - top2[:, 0]) > margin
        flips = int((decided & (ref.argmax(-1) != ours.argmax(-1))).sum())
        print(f"sequence {n}: {len(tokens)} tokens, max|diff| {diff:.3e}, max|diff|/max|logit| "
              f"{diff / max(scale, 1e-30):.3e}, max|logit| {scale:.3f}, argmax mismatches {flips}/{int(decided.sum())}")
        if diff > tol:
            problems.append(f"sequence {n}: max|diff| {diff:.3e} > {tol:.3e}")
        if flips:
            problems.append(f"sequence {n}: {flips} argmax mismatches")
    return problems


def check_chat(export_dir, cases_path):
    tc_path = os.path.join(export_dir, "tokenizer_config.json")
    if not (os.path.exists(tc_path) and os.path.exists(cases_path)):
        return []
    with open(tc_path) as f:
        tc = json.load(f)
    source = tc.get("chat_template")
    if isinstance(source, list):  # named templates; apply_chat_template uses "default"
        source = {t["name"]: t["template"] for t in source}.get("default")
    if not source:
        return []
    try:
        from jinja2 import TemplateError
        from jinja2.ext import loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError:
        print("note: /usr/bin/python3 lacks jinja2; chat template not checked")
        return []

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    # Same environment settings as transformers' apply_chat_template.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception

    def token(key):  # tokenizer_config.json may store a special token as an AddedToken dict
        t = tc.get(key)
        return t.get("content") if isinstance(t, dict) else t

    with open(cases_path) as f:
        cases = json.load(f)["cases"]
    for n, case in enumerate(cases):
        try:
            got = env.from_string(source).render(
                messages=case["messages"], tools=case.get("tools"),
                add_generation_prompt=case.get("add_generation_prompt", False),
                bos_token=token("bos_token"), eos_token=token("eos_token"))
        except TemplateError as e:
            return [f"chat case {n}: template error: {e}"]
        if got != case["expected"]:
            print(f"chat case {n} differs:\n  jinja2: {got!r}\n  hermes: {case['expected']!r}")
            return [f"chat case {n} renders differently"]
    print(f"chat template: {len(cases)} cases render identically")
    return []


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    export_dir, logits_path = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    try:
        with open(os.path.join(export_dir, "config.json")) as f:
            cfg = json.load(f)
        check_config(cfg)
        tensors = load_weights(export_dir)
        shapes = expected_shapes(cfg)
        missing, unexpected = sorted(set(shapes) - set(tensors)), sorted(set(tensors) - set(shapes))
        if missing or unexpected:
            raise Disagree(f"missing tensors {missing}, unexpected tensors {unexpected}")
        for name, shape in shapes.items():
            if tensors[name].shape != shape:
                raise Disagree(f"{name} has shape {list(tensors[name].shape)}, config.json implies {list(shape)}")
        W = {name: torch.from_numpy(arr.astype(np.float64)) for name, arr in tensors.items()}
        with open(logits_path) as f:
            sequences = json.load(f)["sequences"]
        problems = compare_logits(cfg, W, sequences)
        problems += check_chat(export_dir, os.path.join(os.path.dirname(os.path.abspath(logits_path)), "chat_cases.json"))
    except Disagree as e:
        problems = [str(e)]
    except (OSError, ValueError, KeyError) as e:  # unreadable file, bad JSON, missing config key
        problems = [f"cannot read the export or logits: {type(e).__name__}: {e}"]
    if problems:
        print("DISAGREE: " + "; ".join(problems))
        return 1
    print("AGREE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
