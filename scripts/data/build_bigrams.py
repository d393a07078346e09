#!/usr/bin/env python3
"""Builds the character-bigram model that OCR uses to tell text from a page read the
wrong way (operators/data/ocr/bigrams.bloom): a Bloom filter of the collocations of
classical Chinese, the pairs of adjacent Han characters that the chinese-poetry package
(npm, MIT) uses at least --min-count times and more than e^--min-pmi times as often as
their characters' frequencies predict (pointwise mutual information above --min-pmi).

    python3 scripts/data/build_bigrams.py [--corpus DIR] [--out FILE] [--min-count 3] [--min-pmi 1]

Why collocations and not every pair seen: a page read across its lines gives each
character right but in transposed order, and in 18 M characters of poetry most pairs of
common characters occur somewhere. Measured on 3,000 Tang poems (not in the model) laid
out in columns: every pair seen 3+ times covers 77 % of the real pairs and 48 % of the
transposed ones; the collocations with PMI above 1 cover 42 % and 7 %.

The Tang collections are left out (全唐詩 and its other editions and selections: the
quantangshi Tang files, 御定全唐詩, 唐詩三百首, 水墨唐詩, 花間集 and the 蒙學 readers), so
the pages that bench/ocr renders from 全唐詩 text are text the model has not seen.

Format (little-endian): the 8 bytes `WFBLOOM1`, u32 k (hashes per key), u32 0, u64 m
(bits), then ceil(m / 8) bytes of bits (bit i is byte i / 8, bit i % 8). A bigram (a, b)
is the key ((a << 21) | b) of its code points; h1 = splitmix64(key),
h2 = splitmix64(h1) | 1, and its bits are ((h1 + i * h2) mod 2^64) mod m for i < k
(operators/src/ocr/plausibility.rs reads it). The output is byte-identical from run to run.
"""
import argparse
import collections
import glob
import json
import math
import os
import struct

MASK = (1 << 64) - 1
TEXT_FIELDS = ("paragraphs", "content", "para", "title", "chapter", "rhythmic", "notes", "section", "paragraph")
TANG = ("quantangshi/poet.tang.", "quantangshi/唐诗", "yudingquantangshi/", "shuimotangshi/", "wudaishici/", "mengxue/")
SKIP = ("/error/", "author", "/rank/", "/strains/")


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def is_han(c):
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FFFF or 0xF900 <= o <= 0xFAFF


def count(value, pairs, chars):
    if isinstance(value, str):
        prev = None
        for c in value:
            if is_han(c):
                chars[c] += 1
                if prev:
                    pairs[(ord(prev) << 21) | ord(c)] += 1
                prev = c
            else:
                prev = None
    elif isinstance(value, list):
        for v in value:
            count(v, pairs, chars)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in TEXT_FIELDS:
                count(v, pairs, chars)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.expanduser("~/.cache/wenflow/corpus/chinese-poetry"))
    ap.add_argument("--out", default="operators/data/ocr/bigrams.bloom")
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--min-pmi", type=float, default=1.0)
    ap.add_argument("--bits-per-key", type=int, default=8)
    ap.add_argument("--hashes", type=int, default=5)
    a = ap.parse_args()
    dist = os.path.join(a.corpus, "dist")
    counts, chars = collections.Counter(), collections.Counter()
    files = 0
    for f in sorted(glob.glob(os.path.join(dist, "**", "*.json"), recursive=True)):
        rel = os.path.relpath(f, dist)
        if any(s in "/" + rel for s in SKIP) or any(rel.startswith(t) for t in TANG):
            continue
        count(json.load(open(f, encoding="utf-8")), counts, chars)
        files += 1
    n_chars, n_pairs = sum(chars.values()), sum(counts.values())

    def pmi(key, n):
        a, b = chr(key >> 21), chr(key & ((1 << 21) - 1))
        return math.log(n * n_chars * n_chars / (n_pairs * chars[a] * chars[b]))

    keys = sorted(k for k, n in counts.items() if n >= a.min_count and pmi(k, n) > a.min_pmi)
    m = len(keys) * a.bits_per_key
    bits = bytearray((m + 7) // 8)
    for key in keys:
        h1 = splitmix64(key)
        h2 = splitmix64(h1) | 1
        for i in range(a.hashes):
            b = ((h1 + i * h2) & MASK) % m
            bits[b >> 3] |= 1 << (b & 7)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "wb") as f:
        f.write(b"WFBLOOM1" + struct.pack("<IIQ", a.hashes, 0, m) + bits)
    print(f"{files} files, {n_chars} characters, {len(counts)} distinct bigrams, {len(keys)} collocations "
          f"(seen {a.min_count}+ times, PMI > {a.min_pmi}): {len(bits)} bytes")


if __name__ == "__main__":
    main()
