"""What the peer scripts share: wenflow's Han predicate, n-grams, union-find, cluster files."""

import json


def is_han(c):
    """wenflow's `clean::is_han`."""
    o = ord(c)
    return (
        0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2A6DF
        or 0x2A700 <= o <= 0x2EE5F
        or 0x2F800 <= o <= 0x2FA1F
        or 0x30000 <= o <= 0x323AF
        or o == 0x3007
    )


def ngrams(chars, n):
    """The set of character n-grams (a text shorter than n is one n-gram), as wenflow cuts them."""
    if not chars:
        return set()
    if len(chars) < n:
        return {"".join(chars)}
    return {"".join(chars[i : i + n]) for i in range(len(chars) - n + 1)}


def read_jsonl(path):
    """(id, characters) of every line of an exported input file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            yield r["id"], r["text"].split()


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        p = self.parent.setdefault(x, x)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[x] = p
        return p

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def write_clusters(groups, path):
    """Writes `doc_id<TAB>cluster_id` for every member of a group of two or more, the
    cluster id being the group's smallest doc_id (wenflow's convention)."""
    rows = sorted((m, min(g)) for g in groups if len(g) > 1 for m in g)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f"{m}\t{c}\n" for m, c in rows)
    return len(rows)
