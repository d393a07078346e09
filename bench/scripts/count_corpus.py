#!/usr/bin/env python3
"""Counts the documents of the chinese-poetry package per collection, independently of
wenflow: Python's json module, the package's folder layout, and these rules only —
a record is a document when its text (paragraphs / content / para / text: a string or a
list of strings) is non-empty after stripping whitespace; `content` or `paragraphs`
lists of objects are sections whose leaves are documents; error/, strains/, rank/, author
lists, intro.json and 表面结构字.json are not texts.

Usage: count_corpus.py <package root containing dist/>  -> JSON {collection: count}
"""
import json
import os
import sys

COLLECTIONS = [
    ("quantangshi/poet.tang.", "全唐诗"), ("quantangshi/poet.song.", "全宋诗"),
    ("quantangshi/唐诗三百首", "唐诗三百首"), ("quantangshi/唐诗补录", "唐诗补录"),
    ("yudingquantangshi/", "御定全唐詩"), ("songci/宋词三百首", "宋词三百首"), ("songci/", "宋词"),
    ("yuanqu/", "元曲"), ("wudaishici/nantang/", "南唐二主词"), ("wudaishici/", "花间集"),
    ("shijing/", "诗经"), ("chuci/", "楚辞"), ("lunyu/", "论语"), ("sishuwujing/", "四书五经"),
    ("nalanxingde/", "纳兰性德"), ("caocaoshiji/", "曹操诗集"), ("shuimotangshi/", "水墨唐诗"),
    ("youmengying/", "幽梦影"), ("mengxue/", "蒙学"),
]
TEXT = ["text", "paragraphs", "content", "para"]


def leaves(rec):
    """Yields the text of every document in a record."""
    if not isinstance(rec, dict):
        yield None
        return
    for f in TEXT:
        v = rec.get(f)
        if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            yield v if isinstance(v, str) else "\n".join(v)
            return
    for f in ["content"] + TEXT:
        v = rec.get(f)
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for child in v:
                yield from leaves(child)
            return
    yield None


def text_files(root):
    """Yields (relative path, collection, parsed JSON) of every text file, in path order."""
    dist = os.path.join(root, "dist")
    for dirpath, dirs, files in os.walk(dist):
        dirs.sort()
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(dirpath, name), dist)
            top = rel.split(os.sep)[0]
            if not name.endswith(".json") or top in ("strains", "rank") or rel.startswith("quantangshi/error/"):
                continue
            if name.startswith("author") or name in ("表面结构字.json", "intro.json"):
                continue
            coll = next(c for prefix, c in COLLECTIONS if rel.startswith(prefix))
            yield rel, coll, json.load(open(os.path.join(dist, rel), encoding="utf-8"))


def main(root):
    counts, empty, no_text = {}, 0, 0
    for _, coll, data in text_files(root):
        for rec in data if isinstance(data, list) else [data]:
            for text in leaves(rec):
                if text is None:
                    no_text += 1
                elif text.strip():
                    counts[coll] = counts.get(coll, 0) + 1
                else:
                    empty += 1
    print(json.dumps({"collections": counts, "documents": sum(counts.values()), "empty": empty, "no_text": no_text}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
