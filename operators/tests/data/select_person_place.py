#!/usr/bin/env python3
"""Reproduce the passage selection for person_place.jsonl.

Selection uses only file names, record order, titles (or `rhythmic` for ci)
and text length -- never the body content -- so it is independent of any
extractor or gazetteer.  See person_place.md for the procedure in prose.

Usage:
    python3 select_person_place.py [CORPUS_DIST] > selection.jsonl

CORPUS_DIST defaults to ~/.cache/wenflow/corpus/chinese-poetry/dist
Each output line: {"doc_id", "collection", "title", "author", "text",
"stream", "keyword"} in the final dataset order (stream is "random",
"title" or "title2").  The output must match person_place.jsonl line for
line on doc_id/collection/title/author/text; check_person_place.py can
verify that with --selection.
"""
import glob
import json
import os
import random
import sys
import unicodedata

MIN_CHARS = 20   # fragments shorter than this are skipped
MAX_CHARS = 300  # passages longer than this are skipped (annotation cost)

# keyword groups, in priority order: a title is assigned to the first group
# whose variants it contains (so 懷古 wins over 懷).
KEYWORDS = [
    ("懷古", "怀古"),
    ("詠史", "咏史"),
    ("弔", "吊"),
    ("送",),
    ("寄",),
    ("贈", "赠"),
    ("懷", "怀"),
    ("過", "过"),
    ("登",),
    ("題", "题"),
]

# (collection label, glob relative to dist, random quota, title quota)
COLLECTIONS = [
    ("全唐诗", "quantangshi/poet.tang.*.json", 11, 24),
    ("全宋诗", "quantangshi/poet.song.*.json", 11, 22),
    ("宋词", "songci/ci.song.*.json", 11, 6),
    ("元曲", "yuanqu/yuanqu.json", 0, 5),
    # 五代词 titles are '詞牌·<first line>'; no keyword survives match_title(),
    # so these two entries contribute nothing (kept to document the attempt).
    ("五代词", "wudaishici/huajianji/huajianji-[0-9x]-juan.json", 0, 1),
    ("五代词", "wudaishici/nantang/poetrys.json", 0, 1),
]

VARIANTS = {kw[0]: kw for kw in KEYWORDS}

PHASE2_GROUPS = ["懷古", "詠史"]
PHASE2_MIN_CHARS = 80
PHASE2 = [
    ("全唐诗", "quantangshi/poet.tang.*.json", 10),
    ("全宋诗", "quantangshi/poet.song.*.json", 10),
]


def nfc(s):
    return unicodedata.normalize("NFC", s or "")


PUNCT = set("，。？！；：、,.?!;:")


def match_title(title, text):
    """The part of the title used for keyword matching.

    Titles in 元曲 and 五代词 are often '曲牌・<first line of the body>'; such
    segments are body text, so any '・'/'·' segment that contains punctuation
    or is a prefix of the passage text is dropped before matching.
    """
    segs = title.replace("·", "・").split("・")
    keep = [s for s in segs
            if s and not (PUNCT & set(s)) and not text.startswith(s.strip())]
    return "・".join(keep)


def load(dist, pattern):
    files = sorted(glob.glob(os.path.join(dist, pattern)))
    out = []
    for f in files:
        rel = os.path.relpath(f, dist)
        recs = json.load(open(f, encoding="utf-8"))
        out.append((rel, recs))
    return out


def make(collection, rel, idx, rec):
    title = nfc(rec.get("title") or rec.get("rhythmic") or "")
    text = nfc("\n".join(rec.get("paragraphs") or []))
    doc_id = rec.get("id") or f"{rel}#{idx}"
    return {
        "doc_id": doc_id,
        "collection": collection,
        "title": title,
        "author": nfc(rec.get("author") or ""),
        "text": text,
    }


def ok(doc, seen):
    t = doc["text"]
    return MIN_CHARS <= len(t) <= MAX_CHARS and t not in seen and doc["doc_id"] not in seen


def take(coll, buckets, pos, groups, n, seen, stream, min_chars):
    """Round-robin over `groups`, each group's bucket consumed in order."""
    out = []
    while len(out) < n and any(pos[k] < len(buckets[k]) for k in groups):
        for kw in groups:
            if len(out) >= n:
                break
            while pos[kw] < len(buckets[kw]):
                rel, idx, rec = buckets[kw][pos[kw]]
                pos[kw] += 1
                doc = make(coll, rel, idx, rec)
                # the keyword must survive removal of first-line segments
                if not any(k in match_title(doc["title"], doc["text"])
                           for k in VARIANTS[kw]):
                    continue
                if ok(doc, seen) and len(doc["text"]) >= min_chars:
                    seen.update([doc["text"], doc["doc_id"]])
                    doc.update(stream=stream, keyword=kw)
                    out.append(doc)
                    break
    return out


def main():
    dist = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
        "~/.cache/wenflow/corpus/chinese-poetry/dist")
    seen = set()
    chosen = []

    # 1. random stream: one RNG, files then records, collections in order.
    rng = random.Random(2026)
    for coll, pattern, n_random, _ in COLLECTIONS:
        if not n_random:
            continue
        files = load(dist, pattern)
        got = 0
        while got < n_random:
            rel, recs = rng.choice(files)
            idx = rng.randrange(len(recs))
            doc = make(coll, rel, idx, recs[idx])
            if not ok(doc, seen):
                continue
            seen.update([doc["text"], doc["doc_id"]])
            doc.update(stream="random", keyword=None)
            chosen.append(doc)
            got += 1

    # 2. title stream: per collection, per keyword group, candidates shuffled
    #    with a string-seeded RNG, then taken round-robin over the groups.
    state = {}
    for coll, pattern, _, n_title in COLLECTIONS:
        files = load(dist, pattern)
        buckets = {kw[0]: [] for kw in KEYWORDS}
        for rel, recs in files:
            for idx, rec in enumerate(recs):
                title = nfc(rec.get("title") or rec.get("rhythmic") or "")
                for kw in KEYWORDS:
                    if any(k in title for k in kw):
                        buckets[kw[0]].append((rel, idx, rec))
                        break
        for kw in buckets:
            random.Random(f"2026:{coll}:{pattern}:{kw}").shuffle(buckets[kw])
        pos = {kw: 0 for kw in buckets}
        state[(coll, pattern)] = (buckets, pos)
        chosen += take(coll, buckets, pos, [k[0] for k in KEYWORDS], n_title,
                       seen, "title", 0)

    # 3. phase 2 (added after phase 1 fell short of the mention quotas):
    #    continue the same shuffled buckets for the groups 懷古/詠史 only,
    #    in 全唐诗 and 全宋诗, skipping passages shorter than PHASE2_MIN_CHARS.
    for coll, pattern, n in PHASE2:
        buckets, pos = state[(coll, pattern)]
        chosen += take(coll, buckets, pos, PHASE2_GROUPS, n, seen, "title2",
                       PHASE2_MIN_CHARS)

    for doc in chosen:
        print(json.dumps(doc, ensure_ascii=False))


if __name__ == "__main__":
    main()
