"""Every hermes command shown in README.md and docs/*.md must still be valid as written.

Running every command block would take hours (the speedrun alone is 18 minutes), so each command
is checked without training: its subcommand exists, every --flag it passes is one that
subcommand accepts (from `hermes <sub> --help`), every deck file it names exists, and for `run`,
`deck` and `info` the deck and its section.key=value overrides pass validation (`hermes deck`,
which parses and checks everything and runs nothing). Prints each problem with file:line; exits 1
if there is any.
"""
import pathlib
import re
import shlex
import subprocess
import sys

from doc_blocks import commands, is_hermes

hermes, source = sys.argv[1], pathlib.Path(sys.argv[2])
files = [source / "README.md"] + sorted((source / "docs").glob("*.md"))


def words_after_hermes(text):
    try:
        words = shlex.split(text, comments=True)
    except ValueError as e:
        return None, str(e)
    for i, w in enumerate(words):
        if w.endswith("build/hermes") or w == "hermes":
            return words[i + 1:], None
    return [], None


help_cache = {}


def accepted_flags(sub):
    if sub not in help_cache:
        out = subprocess.run([hermes, sub, "--help"], capture_output=True, text=True, timeout=60)
        help_cache[sub] = (out.returncode, set(re.findall(r"--[a-z][a-z0-9-]*", out.stdout)))
    return help_cache[sub]


top = subprocess.run([hermes, "--help"], capture_output=True, text=True, timeout=60).stdout
subcommands = set(re.findall(r"^  ([a-z][a-z-]*)\s", top, re.M))
problems, checked = [], 0
for path in files:
    for no, text in commands(path):
        if not is_hermes(text):
            continue
        where = f"{path.relative_to(source)}:{no}"
        words, err = words_after_hermes(text)
        if words is None:
            problems.append(f"{where}: cannot split the command line ({err}): {text.strip()}")
            continue
        words = [w for w in words if w not in ("...", "[...]")]
        if not words or words[0].startswith("-"):
            continue  # `hermes --help`, `hermes --version`
        sub = words[0]
        if sub not in subcommands:
            if re.fullmatch(r"[a-z-]+", sub):
                problems.append(f"{where}: '{sub}' is not a hermes subcommand: {text.strip()}")
            continue
        checked += 1
        rc, flags = accepted_flags(sub)
        for w in words[1:]:
            if w.startswith("--") and w.split("=")[0] not in flags and "[" not in w and "|" not in w:
                problems.append(f"{where}: hermes {sub} has no flag {w.split('=')[0]}")
        if sub in ("run", "deck", "info"):
            positional = [w for w in words[1:] if not w.startswith("-")]
            # `info --preset X --batch 16` takes values after flags: only run/deck take a deck.
            if sub == "info" and any(w.startswith("--") for w in words[1:]):
                continue
            if any(w.startswith("<") or w.upper() == w and w.isalpha() for w in positional):
                continue  # placeholders such as DECK or <deck>
            decks = [w for w in positional if "=" not in w]
            if any(not (source / d).exists() for d in decks):
                missing = [d for d in decks if not (source / d).exists()]
                if all(d.startswith("inputs/") and not pathlib.Path(d).name.startswith("my") for d in missing):
                    problems.append(f"{where}: {', '.join(missing)} does not exist")
                continue  # a user's own deck (my.toml, inputs/my_deck.toml)
            out = subprocess.run([hermes, "deck"] + positional, capture_output=True, text=True, timeout=60,
                                 cwd=source)
            if out.returncode != 0:
                problems.append(f"{where}: the deck and overrides do not validate: "
                                f"{(out.stderr or out.stdout).strip().splitlines()[-1]}")

print(f"{checked} hermes commands checked in {len(files)} files")
for p in problems:
    print(p)
sys.exit(1 if problems or checked < 20 else 0)
