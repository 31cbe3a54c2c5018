#!/usr/bin/env python3
"""Deterministic synthetic corpora for the tokenizer benchmark (no network, no data sets).

  make_tokenizer_corpus.py prose  OUT MEGABYTES   English-like prose: a 200k-word lexicon built
                                                  from syllables, Zipf-distributed, with
                                                  punctuation, numbers, quotes, paragraphs
  make_tokenizer_corpus.py code   OUT MEGABYTES   Python/C++-like code and JSON records

The same arguments always give the same bytes (seeded PRNG).
"""
import json
import random
import sys

ONSETS = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
          "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sc", "sh", "sl", "sm", "sn",
          "sp", "st", "str", "sw", "th", "tr", "wh", "wr"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oo", "ou", "y", "oa", "au"]
CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "nt", "rd", "rs", "st", "ck", "ght", "ll", "ss", "x"]
COMMON = ("the of and to in is was that for it with as on be at by this had not are but from or have an they "
          "which one you were her all she there would their we him been has when who will more no if out so said "
          "what up its about into than them can only other new some could time these two may then do first any my "
          "now such like our over man me even most made after also did many before must through back years where "
          "much your way well down should because each just those people how too little state good very make world "
          "still own see men work long get here between both life being under never day same another know while").split()


def lexicon(rng, n):
    words = list(COMMON)
    seen = set(words)
    while len(words) < n:
        w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(rng.choice([1, 1, 1, 2, 2, 2, 3])))
        if w and w not in seen:
            seen.add(w)
            words.append(w)
    return words


def zipf_picker(rng, words):
    # Cumulative Zipf(1.05) weights; bisect for each draw.
    import bisect
    import itertools
    weights = [1.0 / (r + 1) ** 1.05 for r in range(len(words))]
    cum = list(itertools.accumulate(weights))
    total = cum[-1]
    return lambda: words[bisect.bisect_left(cum, rng.random() * total)]


def prose(rng, target):
    pick = zipf_picker(rng, lexicon(rng, 200_000))
    out, size = [], 0
    while size < target:
        para = []
        for _ in range(rng.randint(2, 8)):
            n = rng.randint(4, 28)
            ws = []
            for k in range(n):
                w = pick()
                r = rng.random()
                if k == 0 or r < 0.03:
                    w = w.capitalize()
                elif r < 0.035:
                    w = w.upper()
                elif r < 0.05:
                    w = str(rng.choice([rng.randint(0, 99), rng.randint(1900, 2030), rng.randint(0, 10**6)]))
                elif r < 0.06:
                    w = w + rng.choice(["'s", "'ll", "'re", "n't", "'ve", "'d"])
                if k < n - 1 and rng.random() < 0.08:
                    w += rng.choice([",", ",", ";", ":", " -"])
                if rng.random() < 0.01:
                    w = '"' + w + '"'
                if rng.random() < 0.005:
                    w = "(" + w + ")"
                ws.append(w)
            para.append(" ".join(ws) + rng.choice([".", ".", ".", "?", "!"]))
        text = " ".join(para) + "\n\n"
        out.append(text)
        size += len(text.encode())
    return "".join(out)


def code(rng, target):
    pick = zipf_picker(rng, lexicon(rng, 20_000))
    out, size = [], 0
    while size < target:
        r = rng.random()
        if r < 0.4:
            name = "_".join(pick() for _ in range(rng.randint(1, 3)))
            args = ", ".join(pick() for _ in range(rng.randint(0, 4)))
            body = []
            for _ in range(rng.randint(2, 10)):
                v = pick()
                body.append(f"    {v} = {pick()}({v}, {rng.randint(0, 1000)}) + {rng.random():.4f}")
                if rng.random() < 0.3:
                    body.append(f"    if {v} > {rng.randint(0, 99)}:\n        return {{\"{v}\": {v}, \"ok\": True}}")
            text = f"def {name}({args}):\n    \"\"\"{pick().capitalize()} {pick()} {pick()}.\"\"\"\n" + "\n".join(body) + f"\n    return {pick()}\n\n"
        elif r < 0.7:
            name = pick()
            lines = [f"static int {name}_{rng.randint(0, 99)}(const std::vector<float>& {pick()}, int n) {{"]
            for _ in range(rng.randint(2, 8)):
                lines.append(f"  for (int i = 0; i < n; ++i) {{ acc += {pick()}[i] * {rng.randint(1, 9)}; }}  // {pick()} {pick()}")
            lines.append("  return acc;\n}\n")
            text = "\n".join(lines) + "\n"
        else:
            rec = {"id": rng.randint(0, 10**9), "name": pick(), "tags": [pick() for _ in range(rng.randint(0, 4))],
                   "score": round(rng.random() * 100, 3), "nested": {"key": pick(), "value": rng.randint(-500, 500)},
                   "text": " ".join(pick() for _ in range(rng.randint(3, 15)))}
            text = json.dumps(rec) + "\n"
        out.append(text)
        size += len(text.encode())
    return "".join(out)


def main():
    kind, path, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rng = random.Random(1234 if kind == "prose" else 5678)
    text = (prose if kind == "prose" else code)(rng, int(mb * 1e6))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
