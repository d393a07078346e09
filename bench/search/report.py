"""Prints the markdown tables of bench/search/run.sh from its scratch directory.

    python bench/search/report.py SCRATCH RUNS
"""

import json
import statistics
import sys
from pathlib import Path


def median_time(s, name, runs):
    rows = []
    for i in range(1, runs + 1):
        f = s / f"time-{name}-{i}.txt"
        rows.append([float(x) for x in f.read_text().split()])
    return [statistics.median(col) for col in zip(*rows)]


def main():
    s, runs = Path(sys.argv[1]), int(sys.argv[2])
    text_mb = sum(len(json.loads(line)["text"].encode()) for line in open(s / "docs.jsonl", encoding="utf-8")) / 1e6
    docs = sum(1 for _ in open(s / "docs.jsonl", encoding="utf-8"))
    wi, wn = median_time(s, "index", runs), median_time(s, "noindex", runs)
    cpu_i, cpu_n = wi[1] + wi[2], wn[1] + wn[2]
    print(f"Documents: {docs}, {text_mb:.1f} MB of clean text. Medians of {runs} runs.\n")
    print("| job | wall | CPU (user+sys) | peak RSS | indexing rate |")
    print("|---|---|---|---|---|")
    print(f"| wenflow ingest -w 2, no index | {wn[0]:.1f} s | {cpu_n:.1f} s | {wn[3] / 1024:.0f} MB | |")
    d_cpu = cpu_i - cpu_n
    print(
        f"| wenflow ingest -w 2, with the index | {wi[0]:.1f} s | {cpu_i:.1f} s | {wi[3] / 1024:.0f} MB | "
        f"+{wi[0] - wn[0]:.1f} s wall, +{d_cpu:.1f} CPU-s: {text_mb / d_cpu:.1f} MB/s per core |"
    )
    for grams, name in ((2, "bigrams"), (1, "unigrams")):
        rows = []
        for i in range(1, runs + 1):
            wall, kb = (float(x) for x in (s / f"time-tantivy-py-{grams}-{i}.txt").read_text().split())
            rows.append((wall, kb))
        wall = statistics.median(r[0] for r in rows)
        kb = statistics.median(r[1] for r in rows)
        print(f"| tantivy-py 0.27 index build, char {name} (all cores) | {wall:.1f} s | | {kb / 1024:.0f} MB | {text_mb / wall:.1f} MB/s wall |")

    w = json.loads((s / "wenflow.json").read_text())
    peers = {g: json.loads((s / f"tantivy-py-{g}.json").read_text()) for g in (2, 1)}
    print(f"\n{w['queries']} queries (spans of 6-12 characters unique in the corpus), top 10:\n")
    print("| engine | form | top-1 | top-10 | p50 | p99 |")
    print("|---|---|---|---|---|---|")
    for form, label in (("trad", "traditional"), ("simp", "simplified")):
        r = w[form]
        print(f"| wenflow (ranking) | {label} | {r['top1']:.3f} | {r['top10']:.3f} | {r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms |")
        print(f"| wenflow (with documents and snippets) | {label} | | | {r['full_p50_ms']:.3f} ms | {r['full_p99_ms']:.3f} ms |")
        for g, name in ((2, "bigrams"), (1, "unigrams")):
            p = peers[g][form]
            print(f"| tantivy-py, char {name} | {label} | {p['top1']:.3f} | {p['top10']:.3f} | {p['p50_ms']:.3f} ms | {p['p99_ms']:.3f} ms |")
    print("\n| single-term queries | p50 | p99 |")
    print("|---|---|---|")
    print(f"| wenflow, one bigram | {w['term']['p50_ms']:.3f} ms | {w['term']['p99_ms']:.3f} ms |")
    for g, name in ((2, "one bigram"), (1, "one character")):
        print(f"| tantivy-py, {name} | {peers[g]['term']['p50_ms']:.3f} ms | {peers[g]['term']['p99_ms']:.3f} ms |")
    misses = [m for form in ("trad", "simp") for m in w[form]["misses"]]
    if misses:
        print("\nwenflow misses (first ten per form):\n")
        for m in misses:
            print(f"- `{m['query']}` → target {m['target']}, rank {m['rank']}, first {m['first']}")


if __name__ == "__main__":
    main()
