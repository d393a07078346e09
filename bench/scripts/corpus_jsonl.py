#!/usr/bin/env python3
"""Flattens the chinese-poetry package into one JSONL file (id, collection, title, author,
text) with the same leaf rules as count_corpus.py, so that wenflow and the peers read the
very same records from one file.

Usage: corpus_jsonl.py <package root> <out.jsonl>
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from count_corpus import TEXT, text_files  # noqa: E402


def leaves(rec, title=None, author=None):
    if not isinstance(rec, dict):
        return
    title = rec.get("title") or rec.get("chapter") or rec.get("rhythmic") or title
    author = rec.get("author") or author
    for f in TEXT:
        v = rec.get(f)
        if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            yield title, author, rec.get("id"), v if isinstance(v, str) else "\n".join(v)
            return
    for f in ["content"] + TEXT:
        v = rec.get(f)
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for child in v:
                yield from leaves(child, title, author)
            return


def main(root, out):
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for rel, coll, data in text_files(root):
            for i, rec in enumerate(data if isinstance(data, list) else [data]):
                for j, (title, author, rid, text) in enumerate(leaves(rec)):
                    doc_id = f"{coll}/{rid}" if rid else f"{rel}#{i}.{j}"
                    row = {"id": doc_id, "collection": coll, "title": title, "author": author, "text": text}
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    n += 1
    print(n)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
