#!/usr/bin/env python3
"""The contract of a day's output.json with gpt_paper_assistant's tools, checked from the
outside, the way their renderer and Slack pusher read it (written from what they index,
not copied from them):

  python3 tests/gpt_paper_assistant.py <day-dir> <author-score>

- output.json is one object keyed by arXiv id, holding the day's selected papers only;
- every entry carries the paper's own fields, as their paper dataclass is spread into it:
  `arxiv_id` (str, the key), `title` (str), `authors` (a list of str, joined with ", "),
  `abstract` (str); and the judge's: `ARXIVID`, `COMMENT` (str), `RELEVANCE` and
  `NOVELTY` (ints 1-10, never null: they are printed and summed), `SCORE` (int);
- SCORE is RELEVANCE + NOVELTY, except for an author match, which gets the fixed author
  score;
- the picks are exactly the papers scores.json marks selected, and scores.json holds every
  scanned paper (run.json's `scanned`).

Prints a one-line summary and the Markdown their renderer would make of the first pick;
exits 1 on any difference.
"""

import json
import os
import sys


def fail(msg):
    print(f"gpt_paper_assistant contract: {msg}", file=sys.stderr)
    sys.exit(1)


def render(entry):
    # The lines their renderer writes per paper: indexing and joining as it does.
    return "\n".join(
        [
            f"## [{entry['title']}](https://arxiv.org/abs/{entry['arxiv_id']})",
            f"**Authors:** {', '.join(entry['authors'])}",
            f"**ArXiv ID:** {entry['arxiv_id']}",
            f"**Abstract:** {entry['abstract']}",
            f"**Comment:** {entry['COMMENT']}",
            f"**Relevance:** {entry['RELEVANCE']}",
            f"**Novelty:** {entry['NOVELTY']}",
        ]
    )


def main():
    if len(sys.argv) != 3:
        fail("usage: gpt_paper_assistant.py <day-dir> <author-score>")
    day, author_score = sys.argv[1], int(sys.argv[2])
    out = json.load(open(os.path.join(day, "output.json")))
    scores = json.load(open(os.path.join(day, "scores.json")))
    run = json.load(open(os.path.join(day, "run.json")))
    if not isinstance(out, dict):
        fail("output.json is not an object keyed by arXiv id")
    if len(scores) != run["scanned"]:
        fail(f"scores.json holds {len(scores)} papers, run.json scanned {run['scanned']}")
    selected = {k for k, v in scores.items() if v["arxrank"]["selected"]}
    if set(out) != selected:
        fail(f"output.json holds {sorted(set(out) ^ selected)} differently from the picks")
    for key, entry in out.items():
        for field, kind in [
            ("arxiv_id", str),
            ("ARXIVID", str),
            ("title", str),
            ("abstract", str),
            ("COMMENT", str),
            ("authors", list),
            ("RELEVANCE", int),
            ("NOVELTY", int),
            ("SCORE", int),
        ]:
            if field not in entry:
                fail(f"{key}: no `{field}` (KeyError in their renderer)")
            if not isinstance(entry[field], kind) or isinstance(entry[field], bool):
                fail(f"{key}: `{field}` is {entry[field]!r}, not {kind.__name__}")
        if entry["arxiv_id"] != key or entry["ARXIVID"] != key:
            fail(f"{key}: arxiv_id {entry['arxiv_id']!r} / ARXIVID {entry['ARXIVID']!r}")
        if not all(isinstance(a, str) for a in entry["authors"]):
            fail(f"{key}: authors are not all strings")
        for field in ("RELEVANCE", "NOVELTY"):
            if not 1 <= entry[field] <= 10:
                fail(f"{key}: {field} {entry[field]} is off the 1-10 scale")
        author = scores[key]["arxrank"]["author_match"] is not None
        want = author_score if author else entry["RELEVANCE"] + entry["NOVELTY"]
        if entry["SCORE"] != want:
            fail(f"{key}: SCORE {entry['SCORE']}, want {want} (author match: {author})")
        if entry["RELEVANCE"] != scores[key]["RELEVANCE"]:
            fail(f"{key}: RELEVANCE differs from scores.json")
    ranked = sorted(out.values(), key=lambda e: e["SCORE"], reverse=True)
    hot = sum(e["SCORE"] >= 15 for e in ranked)
    print(
        f"ok: {len(out)} picks in output.json, {len(scores)} scanned papers in scores.json, "
        f"{hot} at SCORE >= 15"
    )
    if ranked:
        print(render(ranked[0]))


if __name__ == "__main__":
    main()
