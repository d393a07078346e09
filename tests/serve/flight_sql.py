"""Flight SQL through a stock client: the ADBC Flight SQL driver (adbc-driver-flightsql from
PyPI) against a running `wenflow serve`.

    python flight_sql.py grpc://127.0.0.1:PORT EXPECTED.json
    python flight_sql.py grpc://127.0.0.1:PORT --count

EXPECTED.json (written by the Rust test from `wenflow report … --format json` and
`wenflow sql`) holds {"reports": {name: {"sql": …, "params": […], "rows": […]}}, "tables": […]}.
Prints one line per check and exits non-zero on the first failure.
"""
import json
import math
import sys

import adbc_driver_flightsql.dbapi as flight_sql


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def count(uri):
    """`SELECT count(*) FROM documents` twice on one cursor (the second from the plan the
    server kept), printed: the Rust test compares it with `wenflow sql` after a new epoch."""
    conn = flight_sql.connect(uri, autocommit=True)
    cur = conn.cursor()
    seen = []
    for _ in range(2):
        cur.execute("SELECT count(*) FROM documents")
        seen.append(cur.fetchone()[0])
    assert seen[0] == seen[1], seen
    print(f"count {seen[0]}")
    cur.close()
    conn.close()


def main():
    if sys.argv[2] == "--count":
        return count(sys.argv[1])
    uri, expected_path = sys.argv[1], sys.argv[2]
    expected = json.load(open(expected_path, encoding="utf-8"))
    conn = flight_sql.connect(uri, autocommit=True)
    cur = conn.cursor()

    # Metadata without a catalog: every table and its change log, with a schema.
    objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
    listed = sorted(
        t["table_name"]
        for c in objects
        for s in (c["catalog_db_schemas"] or [])
        for t in (s["db_schema_tables"] or [])
    )
    want = sorted(expected["tables"] + [t + "_log" for t in expected["tables"]])
    assert listed == want, f"tables listed: {listed} != {want}"
    print(f"ok get_objects: {len(listed)} tables")
    schema = conn.adbc_get_table_schema("documents")
    assert "doc_id" in schema.names and "text" in schema.names, schema
    print(f"ok table schema: documents has {len(schema.names)} columns")
    types = conn.adbc_get_table_types()
    assert "VIEW" in types and "TABLE" in types, types
    info = conn.adbc_get_info()
    assert info.get("vendor_name") == "wenflow", info
    print("ok table types and info")

    # Every report's SQL, plain or prepared with its values bound, equals `wenflow report`.
    for name, r in expected["reports"].items():
        if r["params"]:
            # Named placeholders as positional ones: `$doc_id` (used several times) is `$1`.
            sql = r["sql"]
            for i, name in enumerate(r["param_names"]):
                sql = sql.replace("$" + name, f"${i + 1}")
            cur.execute(sql, parameters=tuple(r["params"]))
        else:
            cur.execute(r["sql"])
        columns = [d[0] for d in cur.description]
        rows = [dict(zip(columns, row)) for row in cur.fetchall()]
        want = r["rows"]
        assert len(rows) == len(want), f"{name}: {len(rows)} rows, wenflow report has {len(want)}"
        for got, exp in zip(rows, want):
            for k, v in got.items():
                assert same(v, exp.get(k)), f"{name}: {k} = {v!r}, wenflow report has {exp.get(k)!r}"
        print(f"ok report {name}: {len(rows)} rows")

    # The same statements again on one cursor: the driver now skips preparing, and the
    # server runs each from its kept plan. The rows are the same.
    again = conn.cursor()
    for name, r in expected["reports"].items():
        if r["params"]:
            continue
        for _ in range(2):
            again.execute(r["sql"])
            assert len(again.fetchall()) == len(r["rows"]), f"{name} run again"
    print("ok reports run again from their kept plans")
    # A kept plan does not freeze a value that changes between runs.
    seen = set()
    for _ in range(3):
        again.execute("SELECT CAST(now() AS VARCHAR) AS t, random() AS r")
        seen.add(tuple(again.fetchone()))
    assert len(seen) == 3, f"now() and random() repeated: {seen}"
    again.close()
    print("ok now() and random() are evaluated at every run")

    # A prepared statement executed twice with different values.
    sql = "SELECT count(*) AS n FROM documents WHERE collection = ?"
    counts = {}
    for collection in expected["collections"]:
        cur.execute(sql, parameters=(collection,))
        counts[collection] = cur.fetchone()[0]
    assert counts == expected["collections"], f"{counts} != {expected['collections']}"
    print(f"ok prepared statement: {counts}")

    # Bad SQL is an error naming what is wrong, and the server goes on serving.
    for bad, says in [("SELEC 1", "SELEC"), ("SELECT * FROM documentz", "documentz"), ("SELECT titel FROM documents", "titel")]:
        try:
            cur.execute(bad)
            cur.fetchall()
        except flight_sql.Error as e:
            assert says in str(e), f"{bad}: {e}"
            print(f"ok error for {bad!r}: {str(e).splitlines()[0][:100]}")
        else:
            raise AssertionError(f"{bad} did not fail")
    # Read only: the session is shared and the tables are the job's.
    for statement in ["DROP VIEW documents", "CREATE TABLE t AS SELECT 1", "SET datafusion.execution.batch_size = 1",
                      "COPY (SELECT 1) TO '/tmp/wenflow-flight-copy.csv'"]:
        try:
            cur.execute(statement)
            cur.fetchall()
        except flight_sql.Error as e:
            print(f"ok refused {statement.split()[0]}: {str(e).splitlines()[0][:90]}")
        else:
            raise AssertionError(f"{statement} was run")
    cur.execute("SELECT count(*) FROM documents")
    assert cur.fetchone()[0] == sum(expected["collections"].values()) + expected["without_collection"]
    cur.execute("SELECT 1 AS one")
    assert cur.fetchall() == [(1,)]
    print("ok still serving")
    cur.close()
    conn.close()


if __name__ == "__main__":
    main()
