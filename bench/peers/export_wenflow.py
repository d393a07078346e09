"""The current state of a wenflow output's `duplicates` table as `doc_id<TAB>cluster_id`.

    python bench/peers/export_wenflow.py OUT_DIR DEST.tsv
"""

import sys

import duckdb


def main():
    out, dest = sys.argv[1], sys.argv[2]
    rows = duckdb.connect().sql(
        f"""SELECT doc_id, cluster_id FROM read_parquet('{out}/duplicates/**/*.parquet')
            GROUP BY doc_id, cluster_id, kind, similarity HAVING sum(diff) > 0 ORDER BY doc_id"""
    ).fetchall()
    with open(dest, "w", encoding="utf-8") as f:
        f.writelines(f"{d}\t{c}\n" for d, c in rows)
    print(f"{len(rows)} documents in clusters")


if __name__ == "__main__":
    main()
