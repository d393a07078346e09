"""The peer: the `tesseract` command line on every rendered page.

    python bench/ocr/tesseract_cli.py PAGES_DIR OUT_DIR [--processes 2]

Runs `tesseract <page> stdout -l <lang> --psm <psm>` (the language and page segmentation
mode the manifest gives for the page's layout: chi_tra and 6 for horizontal pages,
chi_tra_vert and 5 for vertical ones) with OMP_THREAD_LIMIT=1, `--processes` pages at a
time, writes each page's text to OUT_DIR/<page>.txt and prints JSON: pages, wall seconds,
pages per second, and the mean seconds per page of one process.
"""

import argparse
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor


def main():
    p = argparse.ArgumentParser()
    p.add_argument("pages")
    p.add_argument("out")
    p.add_argument("--processes", type=int, default=2)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    manifest = [json.loads(line) for line in open(os.path.join(a.pages, "manifest.jsonl"), encoding="utf-8")]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(m):
        t = time.perf_counter()
        r = subprocess.run(["tesseract", os.path.join(a.pages, m["file"]), "stdout", "-l", m["lang"], "--psm", str(m["psm"])],
                           capture_output=True, env=env, check=True)
        with open(os.path.join(a.out, m["truth"]), "wb") as f:
            f.write(r.stdout)
        return time.perf_counter() - t

    started = time.perf_counter()
    with ThreadPoolExecutor(a.processes) as pool:
        seconds = list(pool.map(one, manifest))
    wall = time.perf_counter() - started
    print(json.dumps({"pages": len(manifest), "wall_s": wall, "pages_per_s": len(manifest) / wall,
                      "s_per_page": sum(seconds) / len(seconds), "processes": a.processes}))


if __name__ == "__main__":
    main()
