#!/usr/bin/env python3
"""The full corpus ingested to an S3-compatible store on loopback, against the same ingest
to local disk, in one run (make bench-s3).

    python3 bench/s3/run.py WENFLOW CORPUS [RUNS]

The store is moto_server (from the venv of `make setup`) on 127.0.0.1. Three jobs, each
`wenflow ingest -w 2` with its defaults (tables and index), RUNS times in turn:

  local -> local   the corpus on disk, the output on disk;
  local -> s3      the corpus on disk, the output (tables and index) in the store;
  s3 -> s3         the corpus copied to the store first, read from there.

For each: wall time and peak RSS (GNU time), bytes the output holds (on disk: every file
under --out; in the store: every object under the prefix), and for the store the HTTP
requests it served during the job (moto's request log), by method and per epoch. Medians.
"""
import concurrent.futures
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WENFLOW = os.path.realpath(sys.argv[1])
CORPUS = Path(sys.argv[2])
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
VENV = Path(os.environ.get("WENFLOW_PYTHON", Path.home() / ".cache/wenflow/venv/bin/python")).parent
BUCKET = "bench"

import boto3  # noqa: E402  (from the venv: run this script with its python)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    work = Path(tempfile.mkdtemp(prefix="wenflow-bench-s3."))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = open(work / "moto.log", "w+")
    moto = subprocess.Popen([str(VENV / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        creds = dict(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        s3 = boto3.client("s3", endpoint_url=endpoint, **creds)
        s3.create_bucket(Bucket=BUCKET)
        files = [p for p in CORPUS.rglob("*") if p.is_file()]
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: s3.upload_file(str(p), BUCKET, "corpus/" + str(p.relative_to(CORPUS))), files))
        print(f"machine: {os.cpu_count()} cores, "
              f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
              f"{time.strftime('%Y-%m-%d', time.gmtime())}; moto_server on {endpoint}")
        print(f"corpus: {sum(p.stat().st_size for p in files) / 1e6:.0f} MB in {len(files)} files "
              f"(copied to the store in {time.time() - started:.0f} s)")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
                   OMP_THREAD_LIMIT="1", WENFLOW_LOG="warn", WENFLOW_CACHE=str(work / "cache"))
        jobs = {
            "local -> local": (str(CORPUS), None),
            "local -> s3": (str(CORPUS), "s3"),
            "s3 -> s3": (f"s3://{BUCKET}/corpus", "s3"),
        }
        results = {name: [] for name in jobs}
        for run in range(1, RUNS + 1):
            for name, (source, sink) in jobs.items():
                label = name.replace(" -> ", "-to-")
                out = f"s3://{BUCKET}/out-{label}-{run}" if sink else str(work / f"out-{label}-{run}")
                log.seek(0, os.SEEK_END)
                before = log.tell()
                cmd = ["/usr/bin/time", "-f", "%e %M", "-o", str(work / "time"), WENFLOW, "--s3-endpoint", endpoint,
                       "ingest", source, "--out", out, "-w", "2"]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    sys.exit(f"{name}: {done.stderr}")
                wall, rss_kb = (work / "time").read_text().split()
                epochs = int(re.search(r"epochs\s+\d+\.\.=(\d+)", done.stdout).group(1))
                docs = re.search(r"documents\s+(\d+)", done.stdout).group(1)
                log.flush()
                log.seek(before)
                methods = {}
                for line in log.read().splitlines():
                    m = re.search(r'"(GET|PUT|POST|HEAD|DELETE) ', line)
                    if m:
                        methods[m.group(1)] = methods.get(m.group(1), 0) + 1
                if sink:
                    stored = 0
                    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=out[len(f"s3://{BUCKET}/"):] + "/"):
                        stored += sum(o["Size"] for o in page.get("Contents", []))
                else:
                    stored = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
                    shutil.rmtree(out)
                r = dict(wall=float(wall), rss=int(rss_kb) / 1024, bytes=stored, epochs=epochs, docs=docs,
                         requests=sum(methods.values()), methods=methods)
                results[name].append(r)
                per = f", {r['requests'] / epochs:.0f} requests/epoch ({methods})" if sink else ""
                print(f"run {run} {name:15} {r['wall']:7.1f} s {r['rss']:6.0f} MB  {stored / 1e6:6.0f} MB written"
                      f"  {epochs} epochs  {docs} documents{per}", flush=True)
        print()
        print(f"| job (-w 2, medians of {RUNS}) | wall | peak RSS | output | requests | requests/epoch |")
        print("|---|---|---|---|---|---|")
        for name, rs in results.items():
            med = lambda k: statistics.median(r[k] for r in rs)
            reqs = f"{med('requests'):.0f}" if jobs[name][1] else "–"
            per = f"{statistics.median(r['requests'] / r['epochs'] for r in rs):.0f}" if jobs[name][1] else "–"
            print(f"| {name} | {med('wall'):.1f} s | {med('rss'):.0f} MB | {med('bytes') / 1e6:.0f} MB | {reqs} | {per} |")
    finally:
        moto.kill()
        moto.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
