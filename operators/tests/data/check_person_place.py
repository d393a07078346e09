#!/usr/bin/env python3
"""Validate person_place.jsonl and print its counts.

Checks, for every record:
  * required fields present, doc_id unique, text is NFC;
  * every mention has kind PERSON|PLACE, a non-empty surface and an int start;
  * text[start:start+len(surface)] == surface;
  * mentions sorted by start and not overlapping.
Prints counts: passages per collection, mentions per kind, single- vs
multi-character mentions per kind, passages with zero mentions.

Usage:
    python3 check_person_place.py [person_place.jsonl] [--selection SEL.jsonl]

--selection compares the records with the output of select_person_place.py
(same order, same doc_id/collection/title/author/text).
Exit status 1 if any check fails.
"""
import collections
import json
import os
import sys
import unicodedata

KINDS = ("PERSON", "PLACE")
FIELDS = ("doc_id", "collection", "title", "author", "text", "mentions")


def main(argv):
    args = list(argv[1:])
    sel_path = None
    if "--selection" in args:
        i = args.index("--selection")
        sel_path = args[i + 1]
        del args[i:i + 2]
    path = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "person_place.jsonl")

    errors = []
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append((lineno, json.loads(line)))
            except json.JSONDecodeError as e:
                errors.append(f"line {lineno}: bad JSON: {e}")

    seen_ids = set()
    per_coll = collections.Counter()
    per_kind = collections.Counter()
    length = collections.Counter()  # (kind, "single"|"multi")
    zero = 0
    zero_by_coll = collections.Counter()
    for lineno, r in records:
        where = f"line {lineno} ({r.get('doc_id')})"
        missing = [k for k in FIELDS if k not in r]
        if missing:
            errors.append(f"{where}: missing fields {missing}")
            continue
        if r["doc_id"] in seen_ids:
            errors.append(f"{where}: duplicate doc_id")
        seen_ids.add(r["doc_id"])
        text = r["text"]
        if unicodedata.normalize("NFC", text) != text:
            errors.append(f"{where}: text is not NFC")
        if "note" in r and not isinstance(r["note"], str):
            errors.append(f"{where}: record note must be a string")
        per_coll[r["collection"]] += 1
        ms = r["mentions"]
        if not ms:
            zero += 1
            zero_by_coll[r["collection"]] += 1
        prev_end, prev_start = -1, -1
        for m in ms:
            kind, surf, start = m.get("kind"), m.get("text"), m.get("start")
            if kind not in KINDS:
                errors.append(f"{where}: bad kind {kind!r}")
            if not isinstance(surf, str) or not surf:
                errors.append(f"{where}: bad surface {surf!r}")
                continue
            if not isinstance(start, int) or start < 0:
                errors.append(f"{where}: bad start {start!r} for {surf}")
                continue
            if text[start:start + len(surf)] != surf:
                errors.append(f"{where}: text[{start}:{start + len(surf)}]="
                              f"{text[start:start + len(surf)]!r} != {surf!r}")
            if start < prev_start:
                errors.append(f"{where}: mentions not sorted at {surf}@{start}")
            if start < prev_end:
                errors.append(f"{where}: overlap at {surf}@{start}")
            prev_start, prev_end = start, max(prev_end, start + len(surf))
            if "note" in m and not isinstance(m["note"], str):
                errors.append(f"{where}: note must be a string")
            per_kind[kind] += 1
            length[(kind, "single" if len(surf) == 1 else "multi")] += 1

    if sel_path:
        sel = [json.loads(l) for l in open(sel_path, encoding="utf-8") if l.strip()]
        if len(sel) != len(records):
            errors.append(f"selection has {len(sel)} records, data {len(records)}")
        for (lineno, r), s in zip(records, sel):
            for k in ("doc_id", "collection", "title", "author", "text"):
                if r.get(k) != s.get(k):
                    errors.append(f"line {lineno}: {k} differs from selection")

    total = sum(per_kind.values())
    print(f"file: {path}")
    print(f"passages: {len(records)}")
    for c, n in per_coll.most_common():
        print(f"  {c}: {n} passages ({zero_by_coll[c]} with zero mentions)")
    print(f"mentions: {total}")
    for k in KINDS:
        print(f"  {k}: {per_kind[k]}  (single-char {length[(k, 'single')]}, "
              f"multi-char {length[(k, 'multi')]})")
    print(f"passages with zero mentions: {zero}")
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
