"""Which n-gram size separates editions of one poem from different poems?

Reads the `documents` table of a full ingest (any wenflow output directory) and compares
全唐诗 with 御定全唐詩: pairs with the same author and title (both simplified with the
shipped t2s table) are editions of one poem; pairs with the same author and a different
title are different poems by one hand, the hardest negatives a corpus has. For n = 2..5 it
prints how many of each reach Jaccard 0.6/0.7/0.8 on the Han characters of the simplified
text, the normalisation wenflow's MinHash uses.

    python bench/neardup/ngram_choice.py OUT_DIR
"""

import random
import sys
from collections import defaultdict
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench/peers"))
from common import is_han, ngrams  # noqa: E402


def t2s_table():
    m = {}
    for line in (ROOT / "text/data/t2s.tsv").read_text().splitlines()[1:]:
        t, s, _ = line.split("\t")
        m[t] = s
    return m


def grams(text, n):
    return ngrams([c for c in text if is_han(c)], n)


def jaccard(a, b):
    u = len(a | b)
    return len(a & b) / u if u else 0.0


def main():
    out = sys.argv[1]
    t2s = t2s_table()
    simp = lambda s: "".join(t2s.get(c, c) for c in (s or ""))
    con = duckdb.connect()
    rows = con.sql(
        f"""SELECT collection, author, title, coalesce(text_simplified, text), content_hash
            FROM read_parquet('{out}/documents/**/*.parquet')
            WHERE collection IN ('全唐诗', '御定全唐詩') AND diff = 1"""
    ).fetchall()
    by = defaultdict(lambda: ([], []))
    for coll, author, title, text, h in rows:
        by[(simp(author), simp(title))][0 if coll == "全唐诗" else 1].append((text, h))
    same, diff_title = [], []
    by_author = defaultdict(list)
    for (author, title), (a, b) in by.items():
        by_author[author].append((title, a, b))
        if len(a) == 1 and len(b) == 1 and a[0][1] != b[0][1]:
            same.append((a[0][0], b[0][0]))
    rng = random.Random(7)
    for author, entries in by_author.items():
        if len(entries) < 2:
            continue
        for _ in range(min(3, len(entries))):
            (t1, a, _), (t2, _, b) = rng.sample(entries, 2)
            if a and b and t1 != t2:
                diff_title.append((a[0][0], b[0][0]))
    print(f"editions of one poem, texts not identical: {len(same)}; different poems of one author: {len(diff_title)}")
    for n in (2, 3, 4, 5):
        for name, pairs in (("same poem", same), ("other poem", diff_title)):
            js = [jaccard(grams(x, n), grams(y, n)) for x, y in pairs]
            share = lambda t: sum(j >= t for j in js) / len(js)
            js.sort()
            print(
                f"n={n} {name:10} median {js[len(js) // 2]:.3f}  >=0.6 {share(0.6):.3f}  >=0.7 {share(0.7):.3f}  >=0.8 {share(0.8):.3f}"
            )


if __name__ == "__main__":
    main()
