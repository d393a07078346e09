"""Exports the documents of a wenflow output as the peers' input.

    python bench/peers/export_input.py OUT_DIR DEST_DIR [--shards 4]

Reads the current state of the `documents` table and writes DEST_DIR/part-*.jsonl, one
`{"id": doc_id, "text": T}` line per document, where T is the Han characters of
`coalesce(text_simplified, text)` joined by single spaces: exactly what wenflow's MinHash
sees, and a form in which any word tokenizer's tokens are characters, so word n-grams are
character n-grams. Documents without Han characters are left out (wenflow gives them no
signature either). Several shards let datatrove's reader use every task.
"""

import argparse
import json
from pathlib import Path

import duckdb

from common import is_han


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("dest")
    p.add_argument("--shards", type=int, default=4)
    a = p.parse_args()
    rows = duckdb.connect().sql(
        f"""SELECT doc_id, coalesce(text_simplified, text) FROM read_parquet('{a.out}/documents/**/*.parquet')
            GROUP BY ALL HAVING sum(diff) > 0 ORDER BY doc_id"""
    ).fetchall()
    dest = Path(a.dest)
    dest.mkdir(parents=True, exist_ok=True)
    files = [open(dest / f"part-{i:02d}.jsonl", "w", encoding="utf-8") for i in range(a.shards)]
    written = 0
    for i, (doc_id, text) in enumerate(rows):
        chars = [c for c in text or "" if is_han(c)]
        if chars:
            files[i % a.shards].write(json.dumps({"id": doc_id, "text": " ".join(chars)}, ensure_ascii=False) + "\n")
            written += 1
    for f in files:
        f.close()
    print(f"{written} documents with Han characters of {len(rows)}")


if __name__ == "__main__":
    main()
