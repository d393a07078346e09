#!/usr/bin/env python3
"""Peer: exact dedup with DuckDB over the same JSONL (normalise, hash, group), the task
ARCHITECTURE §12 measures DuckDB on. Prints the number of duplicate groups and members.

Usage: duckdb_exact_dedup.py <corpus.jsonl> <threads>
"""
import sys

import duckdb

con = duckdb.connect()
con.execute(f"SET threads = {int(sys.argv[2])}")
row = con.execute(
    """
    WITH docs AS (
      SELECT id, md5(regexp_replace(nfc_normalize(text), '\\s+', '', 'g')) AS h
      FROM read_json(?, format = 'newline_delimited', columns = {id: 'VARCHAR', text: 'VARCHAR'})
      WHERE trim(text) <> ''
    ), groups AS (SELECT h, count(*) AS n FROM docs GROUP BY h HAVING count(*) > 1)
    SELECT count(*), coalesce(sum(n), 0) FROM groups
    """,
    [sys.argv[1]],
).fetchone()
print(f"{row[0]} {row[1]}")
