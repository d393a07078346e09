"""Character error rate of OCR output against the rendered ground truth.

    python bench/ocr/cer.py PAGES_DIR HYPOTHESES_DIR [--json]

For every page of PAGES_DIR/manifest.jsonl, compares HYPOTHESES_DIR/<page>.txt with the
page's truth: both sides NFKC-normalised, then whitespace, punctuation, symbols and
control characters such as form feeds (Unicode categories Z*, P*, S* and C*) removed,
then the Levenshtein distance over characters divided by the length of the truth.
Prints the CER of each (layout, variant) group (total edits over total truth
characters) and of all pages; a missing hypothesis counts as empty.
"""

import argparse
import json
import os
import unicodedata
from collections import defaultdict


def normalise(text):
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c)[0] not in "ZPSC")


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("pages")
    p.add_argument("hypotheses")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    groups = defaultdict(lambda: [0, 0, 0])
    for line in open(os.path.join(a.pages, "manifest.jsonl"), encoding="utf-8"):
        m = json.loads(line)
        truth = normalise(open(os.path.join(a.pages, m["truth"]), encoding="utf-8").read())
        hyp_path = os.path.join(a.hypotheses, m["truth"])
        hyp = normalise(open(hyp_path, encoding="utf-8").read()) if os.path.exists(hyp_path) else ""
        edits = levenshtein(truth, hyp)
        for key in ((m["layout"], m["variant"]), ("all", "all")):
            g = groups[key]
            g[0] += edits
            g[1] += len(truth)
            g[2] += 1
    result = {f"{l}-{v}": {"cer": e / max(n, 1), "pages": pages, "chars": n} for (l, v), (e, n, pages) in sorted(groups.items())}
    if a.json:
        print(json.dumps(result))
    else:
        for k, r in result.items():
            print(f"{k:16} CER {r['cer']:.4f} over {r['chars']} characters of {r['pages']} pages")


if __name__ == "__main__":
    main()
