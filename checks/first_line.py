"""The verdict each report format opens with, as a reader sees it first.

Usage: first_line.py WORD STEM [--quiet FILE]
Checks STEM.txt, .md, .html, .xml and .json (those present, at least one) and, given, the -q output:
each must open with WORD (PASS, FAIL, ERROR, CANNOT JUDGE or INCOMPLETE). Prints what differs.
"""
import html.parser
import json
import os
import re
import sys

word, stem = sys.argv[1], sys.argv[2]
quiet = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--quiet" else None
WORDS = ("PASS", "FAIL", "ERROR", "CANNOT JUDGE", "INCOMPLETE")


def opens(text):
    """The verdict word a line opens with, or None."""
    for w in WORDS:
        if text.startswith(w + ":") or text.startswith(w + " at "):
            return w
    return None


class FirstBanner(html.parser.HTMLParser):
    """The text of the first <p class="verdict …"> of a page."""

    def __init__(self):
        super().__init__()
        self.inside, self.text = False, None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class", "") or ""
        if self.text is None and tag == "p" and "verdict" in classes.split():
            self.inside, self.text = True, ""

    def handle_endtag(self, tag):
        if tag == "p":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text += data


def first_of(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".txt"):
        return opens(text.split("\n", 1)[0])
    if path.endswith(".md"):
        m = re.match(r"### gradcheck: \S+ (.*)", text.split("\n", 1)[0])
        return opens(m.group(1)) if m else None
    if path.endswith(".html"):
        p = FirstBanner()
        p.feed(text)
        return opens(p.text or "")
    if path.endswith(".xml"):
        lines = text.split("\n")
        m = re.match(r"<!-- gradcheck: (.*) -->$", lines[1]) if len(lines) > 1 else None
        return opens(m.group(1)) if m else None
    if path.endswith(".json"):
        r = json.loads(text, object_pairs_hook=lambda pairs: pairs)
        keys = [k for k, _ in r]
        d = dict(r)
        if keys[:2] != ["verdict", "outcome"] or d["outcome"] != opens(d["verdict"]):
            return None
        return d["outcome"]
    raise SystemExit(f"unknown format: {path}")


problems, seen = [], 0
for ext in (".txt", ".md", ".html", ".xml", ".json"):
    path = stem + ext
    if os.path.exists(path):
        seen += 1
        got = first_of(path)
        if got != word:
            problems.append(f"{path} opens with {got}, expected {word}")
if quiet is not None:
    with open(quiet, encoding="utf-8") as f:
        got = opens(f.read().split("\n", 1)[0])
    if got != word:
        problems.append(f"-q prints {got}, expected {word}")
if seen == 0:
    problems.append(f"no report {stem}.*")
print("; ".join(problems))
sys.exit(1 if problems else 0)
