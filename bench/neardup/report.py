"""The near-duplicate report of a full ingest: clusters by kind and by the collections they
span, cluster sizes, the largest clusters, and random near-duplicate pairs to check by eye.

    python bench/neardup/report.py OUT_DIR [--examples 10] [--seed 1]
"""

import argparse
import random

import duckdb


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--examples", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    c = duckdb.connect()
    c.sql(
        f"""CREATE VIEW d AS SELECT doc_id, cluster_id, kind, similarity
            FROM read_parquet('{a.out}/duplicates/**/*.parquet') GROUP BY ALL HAVING sum(diff) > 0"""
    )
    c.sql(
        f"""CREATE VIEW docs AS SELECT doc_id, collection, title, author, coalesce(text_simplified, text) AS t
            FROM read_parquet('{a.out}/documents/**/*.parquet') GROUP BY ALL HAVING sum(diff) > 0"""
    )
    c.sql("CREATE VIEW m AS SELECT d.*, collection, title, author, t FROM d JOIN docs USING (doc_id)")
    print("## Rows by kind\n")
    print(c.sql("SELECT kind, count(*) AS rows, count(DISTINCT cluster_id) AS clusters FROM d GROUP BY 1 ORDER BY 1"))
    print(c.sql("SELECT count(DISTINCT cluster_id) AS clusters, count(*) AS documents FROM d"))
    print("## Clusters by the collections they span (top 15)\n")
    print(
        c.sql(
            """WITH k AS (SELECT cluster_id, list(DISTINCT collection ORDER BY collection) AS cs,
                          count(*) AS n, bool_or(kind = 'near') AS has_near FROM m GROUP BY 1)
               SELECT array_to_string(cs, ' + ') AS collections, count(*) AS clusters, sum(n) AS documents,
                      count(*) FILTER (WHERE has_near) AS with_near FROM k GROUP BY 1 ORDER BY 2 DESC LIMIT 15"""
        )
    )
    print("## Cluster sizes\n")
    print(
        c.sql(
            """SELECT CASE WHEN n >= 10 THEN '10+' ELSE CAST(n AS VARCHAR) END AS size, count(*) AS clusters
               FROM (SELECT cluster_id, count(*) AS n FROM d GROUP BY 1) GROUP BY 1 ORDER BY min(n)"""
        )
    )
    print("## Largest clusters\n")
    for cid, n in c.sql("SELECT cluster_id, count(*) n FROM d GROUP BY 1 ORDER BY 2 DESC LIMIT 4").fetchall():
        rows = c.sql(
            "SELECT collection, author, title, t FROM m WHERE cluster_id = ? ORDER BY doc_id LIMIT 3", params=[cid]
        ).fetchall()
        print(f"- {n} documents, e.g.:")
        for coll, author, title, t in rows:
            print(f"    {coll} · {author} · {title} | {t.replace(chr(10), '')[:60]}")
    print(f"\n## {a.examples} random near-duplicate rows with their representative\n")
    near = c.sql("SELECT doc_id, cluster_id, similarity FROM d WHERE kind = 'near' AND doc_id <> cluster_id ORDER BY doc_id").fetchall()
    random.Random(a.seed).shuffle(near)
    for i, (doc, cid, sim) in enumerate(near[: a.examples], 1):
        x = c.sql("SELECT collection, author, title, t FROM docs WHERE doc_id = ?", params=[doc]).fetchall()[0]
        y = c.sql("SELECT collection, author, title, t FROM docs WHERE doc_id = ?", params=[cid]).fetchall()[0]
        print(f"{i}. similarity {sim:.3f}")
        print(f"   member:         {x[0]} · {x[1]} · {x[2]} | {x[3].replace(chr(10), '')[:90]}")
        print(f"   representative: {y[0]} · {y[1]} · {y[2]} | {y[3].replace(chr(10), '')[:90]}")


if __name__ == "__main__":
    main()
