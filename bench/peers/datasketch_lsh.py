"""datasketch's MinHashLSH over the exported input, the way its users deduplicate.

    python bench/peers/datasketch_lsh.py INPUT_DIR OUT.tsv [--ngram 2] [--num-perm 120]
        [--threshold 0.8 | --bands B --rows R] [--verify J]

Per document: a MinHash of its character n-gram set (`update_batch`, then `LeanMinHash`),
a query of the index for candidates, then an insert; candidates are unioned (union-find).
With `--verify J` a candidate counts only if the two MinHashes estimate a Jaccard ≥ J.
Writes `doc_id<TAB>cluster_id` for every document in a cluster of two or more.
"""

import argparse
from pathlib import Path

from datasketch import LeanMinHash, MinHash, MinHashLSH

from common import UnionFind, ngrams, read_jsonl, write_clusters


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("out")
    p.add_argument("--ngram", type=int, default=2)
    p.add_argument("--num-perm", type=int, default=120)
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--bands", type=int)
    p.add_argument("--rows", type=int)
    p.add_argument("--verify", type=float)
    a = p.parse_args()
    params = (a.bands, a.rows) if a.bands else None
    lsh = MinHashLSH(threshold=a.threshold, num_perm=a.num_perm, params=params)
    print(f"datasketch bands x rows: {lsh.b} x {lsh.r}")
    uf = UnionFind()
    sketches = {}
    for path in sorted(Path(a.input).glob("*.jsonl")):
        for doc_id, chars in read_jsonl(path):
            m = MinHash(num_perm=a.num_perm)
            m.update_batch([g.encode("utf-8") for g in ngrams(chars, a.ngram)])
            m = LeanMinHash(m)
            for other in lsh.query(m):
                if a.verify is None or m.jaccard(sketches[other]) >= a.verify:
                    uf.union(doc_id, other)
            lsh.insert(doc_id, m)
            if a.verify is not None:
                sketches[doc_id] = m
    groups = {}
    for x in list(uf.parent):
        groups.setdefault(uf.find(x), []).append(x)
    print(f"{write_clusters(groups.values(), a.out)} documents in clusters")


if __name__ == "__main__":
    main()
