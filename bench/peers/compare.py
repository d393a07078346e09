"""How far duplicate clusterings agree.

    python bench/peers/compare.py [--input DIR --ngram 2 --threshold 0.8] NAME=CLUSTERS.tsv NAME=CLUSTERS.tsv [...]

Each file holds `doc_id<TAB>cluster_id` for the documents a method puts in clusters. For
every pair of methods A, B: documents in clusters in each, in both, and the Jaccard of the
two sets; then pairs of documents that share a cluster in A, in B and in both, counted
from the contingency table (never enumerated), hence the share of B's pairs that A has
too and the share of A's pairs that B finds.

With `--input` (the exported input), also per method: the share of its clustered
documents that have a cluster-mate whose exact n-gram Jaccard reaches the threshold, a
document-level precision against the exact similarity (clusters over 300 members are
checked on their first 300).
"""

import argparse
from collections import Counter
from itertools import combinations
from pathlib import Path

from common import ngrams, read_jsonl


def load(path):
    with open(path, encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t") for line in f if line.strip())


def pairs(sizes):
    return sum(n * (n - 1) // 2 for n in sizes)


def supported(members, grams, threshold):
    """The members with a cluster-mate at exact Jaccard ≥ threshold."""
    ok = set()
    members = members[:300]
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            ga, gb = grams.get(a, set()), grams.get(b, set())
            shared = len(ga & gb)
            if ga and gb and shared >= threshold * (len(ga) + len(gb) - shared):
                ok.update((a, b))
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("methods", nargs="+", help="NAME=CLUSTERS.tsv")
    p.add_argument("--input")
    p.add_argument("--ngram", type=int, default=2)
    p.add_argument("--threshold", type=float, default=0.8)
    a = p.parse_args()
    clusters = {name: load(path) for name, path in (m.split("=", 1) for m in a.methods)}
    if a.input:
        wanted = set().union(*(c.keys() for c in clusters.values()))
        grams = {}
        for path in sorted(Path(a.input).glob("*.jsonl")):
            for doc_id, chars in read_jsonl(path):
                if doc_id in wanted:
                    grams[doc_id] = ngrams(chars, a.ngram)
        print(f"| method | docs in clusters | with a cluster-mate at exact J ≥ {a.threshold} | share |")
        print("|---|---|---|---|")
        for name, c in clusters.items():
            by = {}
            for d, cid in c.items():
                by.setdefault(cid, []).append(d)
            ok = sum(len(supported(sorted(m), grams, a.threshold)) for m in by.values())
            print(f"| {name} | {len(c):,} | {ok:,} | {ok / max(len(c), 1):.3f} |")
        print()
    print("| A | B | docs in A | docs in B | in both | doc-set Jaccard | pairs A | pairs B | pairs in both | B's pairs in A | A's pairs in B |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (a, ca), (b, cb) in combinations(clusters.items(), 2):
        both = ca.keys() & cb.keys()
        union = ca.keys() | cb.keys()
        pa = pairs(Counter(ca.values()).values())
        pb = pairs(Counter(cb.values()).values())
        pab = pairs(Counter((ca[d], cb[d]) for d in both).values())
        print(
            f"| {a} | {b} | {len(ca):,} | {len(cb):,} | {len(both):,} | {len(both) / max(len(union), 1):.3f} "
            f"| {pa:,} | {pb:,} | {pab:,} | {pab / max(pb, 1):.3f} | {pab / max(pa, 1):.3f} |"
        )


if __name__ == "__main__":
    main()
