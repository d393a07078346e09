"""Prints the markdown tables of bench/ocr/run.sh from its scratch directory.

    python bench/ocr/report.py SCRATCH RUNS
"""

import json
import statistics
import sys
from pathlib import Path


def median_time(s, name, runs):
    rows = [[float(x) for x in (s / f"time-{name}-{i}.txt").read_text().split()] for i in range(1, runs + 1)]
    return [statistics.median(col) for col in zip(*rows)]


def main():
    s, runs = Path(sys.argv[1]), int(sys.argv[2])
    pages = sum(1 for _ in open(s / "pages" / "manifest.jsonl", encoding="utf-8"))
    ours = json.loads((s / "cer-wenflow-w2.json").read_text())
    eng = json.loads((s / "cer-wenflow-w2-eng.json").read_text())
    cli = json.loads((s / "cer-cli.json").read_text())
    print(f"{pages} pages (A5 at 300 dpi), medians of {runs} runs.\n")
    print("Character error rate (NFKC; whitespace, punctuation, symbols and controls removed; "
          "Levenshtein / truth length):\n")
    print("| pages | characters | wenflow, defaults (layout decided per page, chi_tra) "
          "| wenflow --ocr-languages chi_tra+eng | tesseract CLI (layout told, chi_tra) |")
    print("|---|---|---|---|---|")
    for k in sorted(ours, key=lambda k: (k == "all-all", k)):
        name = "all" if k == "all-all" else k
        print(f"| {name} ({ours[k]['pages']}) | {ours[k]['chars']} | {ours[k]['cer']:.4f} | {eng[k]['cer']:.4f} "
              f"| {cli[k]['cer']:.4f} |")
    print("\nThroughput (wall from start to exit; CPU is user+sys of the process and its children):\n")
    print("| job | wall | pages/s | CPU | peak RSS (largest process) |")
    print("|---|---|---|---|---|")
    for name, label in [("wenflow-w1", "wenflow ingest -w 1"), ("wenflow-w2", "wenflow ingest -w 2"),
                        ("wenflow-w2-eng", "wenflow ingest -w 2 --ocr-languages chi_tra+eng"),
                        ("cli-p1", "tesseract CLI, 1 process"), ("cli-p2", "tesseract CLI, 2 processes")]:
        wall, user, sys_, rss = median_time(s, name, runs)
        print(f"| {label} | {wall:.1f} s | {pages / wall:.2f} | {user + sys_:.1f} s | {rss / 1024:.0f} MB |")
    rows = json.loads((s / "pages-w2.json").read_text())
    ms = sorted(r["ms"] for r in rows if r["ms"] is not None)
    if ms:
        print(f"\nwenflow's OCR time per page (pages.ms, -w 2): median {statistics.median(ms):.0f} ms, "
              f"max {ms[-1]:.0f} ms; mean confidence {statistics.mean(r['confidence'] for r in rows):.3f}.")
    layout(s, "layout", "Layout set: 50 degraded pages (seed 11: rotation up to 1.5°, blur, speckle, noise, JPEG)")
    layout(s, "grid", "Square-grid set: 40 pages set with lines as far apart as the characters in them (seed 12; "
                      "clean, and degraded as above)")


def layout(s, name, title):
    """A layout set: every page's layout and skew against the manifest, and the CER of
    wenflow (defaults) and of the CLI told the layout."""
    manifest = {m["file"]: m for m in map(json.loads, open(s / name / "manifest.jsonl", encoding="utf-8"))}
    rows = json.loads((s / f"pages-{name}.json").read_text())
    wrong = [r["doc_id"] for r in rows if r["orientation"][0] != manifest[r["doc_id"]]["layout"]]
    by = {}
    for r in rows:
        by[r["layout_by"]] = by.get(r["layout_by"], 0) + 1
    errors = sorted(abs((r["skew"] or 0.0) - manifest[r["doc_id"]]["skew"]) for r in rows)
    ours = json.loads((s / f"cer-wenflow-{name}.json").read_text())
    cli = json.loads((s / f"cer-cli-{name}.json").read_text())
    print(f"\n{title}, wenflow -w 2 with its defaults.\n")
    print(f"- pages read in the wrong layout: {len(wrong)} of {len(rows)} {wrong if wrong else ''}")
    print(f"- decided by: {', '.join(f'{k} {v}' for k, v in sorted(by.items()))}")
    print(f"- skew undone vs rotation applied (|difference|, pages under 0.2° are left as they are): "
          f"median {statistics.median(errors):.3f}°, max {errors[-1]:.3f}°\n")
    print("| pages | characters | wenflow, defaults | tesseract CLI (layout told, chi_tra) |")
    print("|---|---|---|---|")
    for k in sorted(ours, key=lambda k: (k == "all-all", k)):
        name = "all" if k == "all-all" else k
        print(f"| {name} ({ours[k]['pages']}) | {ours[k]['chars']} | {ours[k]['cer']:.4f} | {cli[k]['cer']:.4f} |")


if __name__ == "__main__":
    main()
