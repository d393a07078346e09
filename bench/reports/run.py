#!/usr/bin/env python3
"""The named reports on the full corpus through `wenflow report`, through Flight SQL (the
ADBC driver against `wenflow serve`) and through DuckDB on the same Parquet files, side by
side in one run, and the web page's search latency (make bench-reports).

    python bench/reports/run.py WENFLOW OUT [RUNS]

OUT is the output of `wenflow ingest` of the corpus (make demo leaves one). DuckDB reads
each table's current Parquet files (the Delta table's file list, from the deltalake
package), as views with the same names and the same state rule, and runs each report's SQL
text unchanged; its rows are checked against wenflow's.

  cold: a new process per report, median of RUNS. `wenflow report NAME` (open the tables,
        plan, run, print) against a Python process that connects DuckDB, creates the views
        and runs the query (timed from connect to rows, without the interpreter's start and
        import).
  warm: after the cold runs of every report, the same query again in a running session:
        one run unmeasured, then the median of max(RUNS, 7). Flight SQL: one connection to
        `wenflow serve`, the time from execute to fetched rows. DuckDB: one connection, the
        views made once. `SELECT 1` is measured the same way: the fixed cost of each.

The page: GET /api/search for 60 spans of the corpus and /api/doc for their first hits,
over HTTP on loopback (median and p95).
"""
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPORTS_DIR = Path(__file__).resolve().parents[2] / "queries" / "reports"

import adbc_driver_flightsql.dbapi as flight_sql  # noqa: E402
import deltalake  # noqa: E402
import duckdb  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reports(wenflow):
    """The reports that take no value, in `wenflow report --list` order."""
    listed = subprocess.run([wenflow, "report", "--list"], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in listed.splitlines() if line.strip() and len(line.split()[0].split()) == 1]
    out = []
    for name in names:
        sql = (REPORTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
        if "-- param:" in sql:
            continue
        out.append((name, sql))
    return out


def duckdb_views(con, out):
    out = Path(out)
    for table in sorted(p.name for p in out.iterdir() if (p / "_delta_log").is_dir()):
        delta = deltalake.DeltaTable(str(out / table))
        files = delta.file_uris()
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(f"CREATE VIEW {table}_log AS SELECT * FROM read_parquet([{listed}])")
        else:
            import pyarrow
            empty = pyarrow.schema(delta.schema().to_arrow()).empty_table()
            con.register(f"{table}_empty", empty)
            con.execute(f"CREATE VIEW {table}_log AS SELECT * FROM {table}_empty")
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}_log").fetchall() if r[0] not in ("time", "diff")]
        quoted = ", ".join(f'"{c}"' for c in cols)
        retractions = con.execute(f"SELECT count(*) FROM {table}_log WHERE diff < 0").fetchone()[0]
        if retractions:
            con.execute(f"CREATE VIEW {table} AS SELECT {quoted} FROM (SELECT {quoted}, sum(diff) AS n FROM {table}_log "
                        f"GROUP BY ALL HAVING sum(diff) > 0)")
        else:
            con.execute(f"CREATE VIEW {table} AS SELECT {quoted} FROM {table}_log WHERE diff > 0")


COLD_DUCKDB = r"""
import sys, time, json
sys.path.insert(0, {here!r})
import run as bench
import duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET threads = 2")
bench.duckdb_views(con, {out!r})
rows = con.execute({sql!r}).fetchall()
print(json.dumps([time.perf_counter() - t, len(rows)]))
"""


def same_rows(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            if isinstance(u, float) or isinstance(v, float):
                if u is None or v is None or not math.isclose(float(u), float(v), rel_tol=1e-6, abs_tol=1e-9):
                    return False
            elif u != v:
                return False
    return True


def main():
    wenflow = os.path.realpath(sys.argv[1])
    out_dir = Path(sys.argv[2]).resolve()
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    here = str(Path(__file__).resolve().parent)
    chosen = reports(wenflow)
    port, http = free_port(), free_port()
    server = subprocess.Popen([wenflow, "serve", "--data", str(out_dir), "--flight-addr", f"127.0.0.1:{port}",
                               "--http-addr", f"127.0.0.1:{http}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    for line in server.stdout:
        if line.startswith("serving"):
            break
    conn = flight_sql.connect(f"grpc://127.0.0.1:{port}", autocommit=True)
    cur = conn.cursor()
    duck = duckdb.connect()
    duck.execute("SET threads = 2")
    duckdb_views(duck, out_dir)
    table = []
    warm_runs = max(runs, 7)

    def warm(sql):
        """Median seconds of `sql` through Flight SQL and DuckDB, after one run of each."""
        f, d = [], []
        for i in range(warm_runs + 1):
            t = time.perf_counter()
            cur.execute(sql)
            got = cur.fetchall()
            if i:
                f.append(time.perf_counter() - t)
            t = time.perf_counter()
            want = duck.execute(sql).fetchall()
            if i:
                d.append(time.perf_counter() - t)
        return statistics.median(f), statistics.median(d), got, want

    try:
        cold = {}
        for name, sql in chosen:
            cold_w, cold_d = [], []
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run([wenflow, "report", name, "--data", str(out_dir), "--format", "csv"], check=True,
                               capture_output=True)
                cold_w.append(time.perf_counter() - t)
                out = subprocess.run([sys.executable, "-c", COLD_DUCKDB.format(here=here, sql=sql, out=str(out_dir))], check=True,
                                     capture_output=True, text=True).stdout
                cold_d.append(json.loads(out.strip().splitlines()[-1])[0])
            cold[name] = (statistics.median(cold_w), statistics.median(cold_d))
            print(f"{name:20} cold wenflow {cold[name][0]*1e3:8.1f} ms  duckdb {cold[name][1]*1e3:8.1f} ms", flush=True)
        floor_f, floor_d, _, _ = warm("SELECT 1")
        print(f"{'SELECT 1':20} warm flight {floor_f*1e3:8.1f} ms  duckdb {floor_d*1e3:8.1f} ms", flush=True)
        for name, sql in chosen:
            warm_f, warm_d, got, want = warm(sql)
            agree = same_rows([tuple(r) for r in got], [tuple(r) for r in want])
            row = (name, cold[name][0], cold[name][1], warm_f, warm_d, len(got), agree)
            table.append(row)
            print(f"{name:20} warm flight {warm_f*1e3:8.1f} ms  duckdb {warm_d*1e3:8.1f} ms  rows {len(got)}  "
                  f"same {agree}", flush=True)

        # The page's API.
        texts = duck.execute("SELECT text FROM documents WHERE chars BETWEEN 20 AND 200 ORDER BY hash(doc_id) LIMIT 60"
                             ).fetchall()
        spans = [t[0].replace("\n", "")[5:12] for t in texts]
        search_ms, doc_ms = [], []
        for q in spans:
            t = time.perf_counter()
            body = json.load(urllib.request.urlopen(f"http://127.0.0.1:{http}/api/search?"
                                                    + urllib.parse.urlencode({"q": q, "limit": 20})))
            search_ms.append((time.perf_counter() - t) * 1e3)
            if body["hits"]:
                t = time.perf_counter()
                urllib.request.urlopen(f"http://127.0.0.1:{http}/api/doc?"
                                       + urllib.parse.urlencode({"id": body["hits"][0]["doc_id"]})).read()
                doc_ms.append((time.perf_counter() - t) * 1e3)
        pct = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]
        print(f"page /api/search: median {statistics.median(search_ms):.1f} ms, p95 {pct(search_ms, .95):.1f} ms "
              f"({len(search_ms)} queries); /api/doc: median {statistics.median(doc_ms):.1f} ms, "
              f"p95 {pct(doc_ms, .95):.1f} ms")
    finally:
        cur.close()
        conn.close()
        server.terminate()
        server.wait()

    print()
    print("| report | rows | `wenflow report` (cold) | DuckDB (cold) | ratio | Flight SQL (warm) | DuckDB (warm) | ratio | same rows |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| `SELECT 1` | 1 | | | | {floor_f*1e3:.1f} ms | {floor_d*1e3:.1f} ms | {floor_f/floor_d:.2f} | |")
    for name, cw, cd, wf, wd, n, agree in table:
        print(f"| {name} | {n} | {cw*1e3:.0f} ms | {cd*1e3:.0f} ms | {cw/cd:.2f} | {wf*1e3:.1f} ms | {wd*1e3:.1f} ms "
              f"| {wf/wd:.2f} | {'yes' if agree else 'NO'} |")


if __name__ == "__main__":
    main()
