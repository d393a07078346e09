"""Builds the search query set and the peers' document file from a wenflow output.

    python bench/search/queries.py OUT_DIR QUERIES.jsonl DOCS.jsonl [--n 400] [--seed 7]

Reads the current state of `documents` with DuckDB (independently of wenflow's index) and
writes:

- DOCS.jsonl: one `{"id", "text"}` line per document, the clean text wenflow indexed, for
  the tantivy-py peer;
- QUERIES.jsonl: `--n` spans of 6 to 12 Han characters, each from a different document
  drawn at random, contiguous in its text (inside one clause), that occur in exactly one
  document of the corpus. Uniqueness is checked by brute force over every text after
  OpenCC's t2s conversion (so a span is unique in either script). Each line has the
  target `doc_id`, the span as written (`span`), and its two query forms, made with
  OpenCC (PyPI `opencc`, Apache-2.0), not with wenflow's tables: `trad` (OpenCC s2t of a
  span written in simplified, else the span) and `simp` (OpenCC t2s).
"""

import argparse
import bisect
import json
import random
import sys
from pathlib import Path

import duckdb
import opencc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "peers"))
from common import is_han  # noqa: E402


def han_runs(text):
    """Maximal runs of Han characters."""
    run = []
    for c in text:
        if is_han(c):
            run.append(c)
        elif run:
            yield "".join(run)
            run = []
    if run:
        yield "".join(run)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("queries")
    p.add_argument("docs")
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rows = duckdb.connect().sql(
        f"""SELECT doc_id, text FROM read_parquet('{a.out}/documents/**/*.parquet')
            GROUP BY ALL HAVING sum(diff) > 0 ORDER BY doc_id"""
    ).fetchall()
    with open(a.docs, "w", encoding="utf-8") as f:
        for doc_id, text in rows:
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")

    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
    # One searchable byte string: every text's Han characters in simplified form, "\n"
    # between documents, with the byte offset where each document starts.
    keys = [t2s.convert("".join(c for c in text if is_han(c))) for _, text in rows]
    starts, offset = [], 0
    for k in keys:
        starts.append(offset)
        offset += len(k.encode("utf-8")) + 1
    corpus = "\n".join(keys).encode("utf-8")

    def documents_with(needle):
        found, at = set(), corpus.find(needle)
        while at >= 0:
            found.add(bisect.bisect_right(starts, at) - 1)
            if len(found) > 1:
                break
            at = corpus.find(needle, at + 1)
        return found

    rng = random.Random(a.seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    written, tried = 0, 0
    with open(a.queries, "w", encoding="utf-8") as out:
        for i in order:
            if written >= a.n:
                break
            runs = [r for r in han_runs(rows[i][1]) if len(r) >= 6]
            if not runs:
                continue
            run = rng.choice(runs)
            length = rng.randint(6, min(12, len(run)))
            start = rng.randint(0, len(run) - length)
            span = run[start : start + length]
            tried += 1
            simp = t2s.convert(span)
            if documents_with(simp.encode("utf-8")) != {i}:
                continue
            trad = s2t.convert(span) if simp == span else span
            rec = {"target": rows[i][0], "span": span, "trad": trad, "simp": simp}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            written += 1
    print(f"{written} unique spans from {tried} drawn; {len(rows)} documents", file=sys.stderr)


if __name__ == "__main__":
    main()
