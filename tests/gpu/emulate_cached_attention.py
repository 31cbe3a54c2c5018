# Emulates src/backend/cuda/kv_cache.cu's cached_attention kernel and merge kernel block by block
# (threads collapsed) in NumPy, to check the chunk / tile / online-softmax / merge indexing
# against plain attention where no GPU is available. It mirrors decode_plan.hpp's plan and the
# kernels' loops by hand: keep it in step when they change. Not a substitute for
# test_cuda_decode on a GPU.   /usr/bin/python3 tests/gpu/emulate_cached_attention.py
import numpy as np, math
kTile, kMinSplit, kTarget = 32, 128, 512
def plan(R, L, KVH):
    most = max(1, L//kMinSplit)
    want = (kTarget + R*KVH - 1)//max(1, R*KVH)
    s = min(max(want, 1), most)
    ln = ((L + s - 1)//s + kTile - 1)//kTile*kTile
    return (L + ln - 1)//ln, ln
def kernel(qkv, kc, vc, slot, pos, R, L, H, KVH, D):
    splits, sl = plan(R, L, KVH)
    W = (H+2*KVH)*D; KD = KVH*D; G = H//KVH
    out = np.full(R*H*D, np.nan, np.float32); ws = np.full(R*H*splits*(D+2), np.nan, np.float32)
    qs = np.float32(1.4426950408889634/math.sqrt(D))
    kflat, vflat = kc.reshape(-1), vc.reshape(-1)
    for r in range(R):
      for g in range(KVH):
        for s in range(splits):
          n = pos[r]+1; tb = s*sl
          if tb >= n: continue
          te = min(n, tb+sl)
          q = qkv[r*W + g*G*D : r*W + g*G*D + G*D].reshape(G, D)*qs
          acc = np.zeros((G, D), np.float32); m = np.full(G, -np.inf, np.float32); l = np.zeros(G, np.float32)
          base = slot[r]*L*KD + g*D
          t0 = tb
          while t0 < te:
            nt = min(te - t0, kTile)
            ks = np.stack([kflat[base+(t0+j)*KD: base+(t0+j)*KD+D] for j in range(nt)])
            vs = np.stack([vflat[base+(t0+j)*KD: base+(t0+j)*KD+D] for j in range(nt)])
            sc = q @ ks.T  # (G, nt)
            mn = np.maximum(m, sc.max(1))
            p = np.exp2(sc - mn[:, None]); a = np.exp2(m - mn)
            l = l*a + p.sum(1); m = mn
            acc = acc*a[:, None] + p @ vs
            t0 += kTile
          if splits == 1:
            out[r*H*D + g*G*D : r*H*D + g*G*D + G*D] = (acc/l[:, None]).reshape(-1)
          else:
            for h in range(G):
              o = ((r*H + g*G + h)*splits + s)*(D+2)
              ws[o:o+D] = acc[h]; ws[o+D] = m[h]; ws[o+D+1] = l[h]
    if splits > 1:
      for rh in range(R*H):
        r = rh//H; used = (pos[r] + sl)//sl
        w = ws[rh*splits*(D+2):(rh+1)*splits*(D+2)].reshape(splits, D+2)[:used]
        assert not np.isnan(w).any(), "merge reads an unwritten split"
        mm = w[:, D].max(); wt = np.exp2(w[:, D] - mm)
        out[rh*D:(rh+1)*D] = (w[:, :D]*wt[:, None]).sum(0)/(w[:, D+1]*wt).sum()
    return out, splits
def ref(qkv, kc, vc, slot, pos, R, L, H, KVH, D):
    W = (H+2*KVH)*D; G = H//KVH; out = np.zeros((R, H, D))
    for r in range(R):
      for h in range(H):
        q = qkv[r*W+h*D: r*W+h*D+D].astype(np.float64); n = pos[r]+1
        k = kc[slot[r], :n, h//G].astype(np.float64); v = vc[slot[r], :n, h//G].astype(np.float64)
        s = k @ q / math.sqrt(D); p = np.exp(s - s.max()); p /= p.sum(); out[r, h] = p @ v
    return out.reshape(-1)
rng = np.random.default_rng(0)
for (H, KVH, D) in [(4,4,32),(8,2,64),(6,2,18)]:
  for S, L, slot, pos in [(3, 300, [0,1,2,0,1,2,1,0,2,1], [0,5,31,32,33,159,160,161,250,299]),
                          (3, 300, [1]*300 + [0,2,0], list(range(300)) + [7,299,64]),
                          (4, 2048, [2], [2047]), (4, 2048, [0,1,2,3], [1500,0,2047,640])]:
    R = len(pos); W = (H+2*KVH)*D
    qkv = rng.standard_normal(R*W).astype(np.float32)
    kc = rng.standard_normal((S, L, KVH, D)).astype(np.float32); vc = rng.standard_normal((S, L, KVH, D)).astype(np.float32)
    got, splits = kernel(qkv, kc, vc, slot, pos, R, L, H, KVH, D)
    want = ref(qkv, kc, vc, slot, pos, R, L, H, KVH, D)
    err = np.linalg.norm(got - want)/np.linalg.norm(want)
    print(f"H={H} KVH={KVH} D={D} L={L} R={R} splits={splits} err={err:.2e}")
    assert err < 1e-5
