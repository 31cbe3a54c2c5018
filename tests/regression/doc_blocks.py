"""The shell commands of a Markdown file's ```bash blocks, for the docs tests."""
import re


def commands(path):
    """(line number, text) of each command in the file's bash blocks, continuation lines joined."""
    in_block, pending, start = False, "", 0
    for no, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("```"):
            in_block = line.strip() in ("```bash", "```sh") if not in_block else False
            continue
        if not in_block:
            continue
        if not pending:
            start = no
        continued = line.rstrip().endswith("\\")
        pending += line.rstrip().rstrip("\\").rstrip() + " " if continued else line
        if continued:
            continue
        text, pending = pending, ""
        if text.strip():
            yield start, text


def is_hermes(text):
    return re.search(r"(^|[\s|;])(build/)?hermes\s", text) is not None
