#!/usr/bin/env python3
"""Memory of a long stream whose live data stays the same size (make bench-stream-memory).

    python3 bench/stream/memory.py WENFLOW [REWRITES] [-- STREAM_ARGS...]

`wenflow stream --watch DIR --epoch-ms 20` runs while one JSONL file of 300 documents is
rewritten REWRITES times (800 by default) with new text: every epoch retracts the previous
300 versions and inserts 300 new ones, so the history grows with every epoch and the live
data does not. Every 100 rewrites it prints the process's resident memory (VmRSS, split
into anonymous and file-backed pages) and the epochs committed so far. If the engine kept
history (uncompacted arrangements, per-epoch state never released), the anonymous memory
would climb with the epochs; it should level off.

The final state is then checked: the stream's documents are exactly the last rewrite's.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time

CHARS = "天地玄黃宇宙洪荒日月盈昃辰宿列張寒來暑往秋收冬藏閏餘成歲律呂調陽雲騰致雨露結為霜金生麗水玉出崑岡"
DOCS = 300


def rss_mb(pid):
    """Resident memory in MB: all of it, anonymous (the heap), and file-backed (the binary's
    pages, and index segments that tantivy maps, which the kernel can drop)."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                found[key] = int(line.split()[1]) // 1024
    return found.get("VmRSS", 0), found.get("RssAnon", 0), found.get("RssFile", 0)


def committed_epochs(out):
    log = os.path.join(out, "documents", "_delta_log")
    return sum(1 for f in os.listdir(log) if f.endswith(".json")) - 1 if os.path.isdir(log) else 0


def rewrite(path, i):
    rng = random.Random(i)
    lines = [
        json.dumps({"id": f"d{k}", "text": "".join(rng.choice(CHARS) for _ in range(40))}, ensure_ascii=False)
        for k in range(DOCS)
    ]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    return {f"d{k}": json.loads(line)["text"] for k, line in enumerate(lines)}


def main():
    args = sys.argv[1:]
    extra = args[args.index("--") + 1 :] if "--" in args else []
    args = args[: args.index("--")] if "--" in args else args
    wenflow = os.path.realpath(args[0])
    rewrites = int(args[1]) if len(args) > 1 else 800
    with tempfile.TemporaryDirectory(prefix="wenflow-bench-memory.") as work:
        src, out = os.path.join(work, "in"), os.path.join(work, "out")
        os.makedirs(src)
        cmd = [wenflow, "stream", "--watch", src, "--out", out, "--epoch-ms", "20"] + extra
        print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d', time.gmtime())}")
        print("command:", " ".join(cmd[1:]).replace(work, "$WORK"))
        env = dict(os.environ, WENFLOW_LOG="warn", OMP_THREAD_LIMIT="1")
        with open(os.path.join(work, "err.txt"), "w") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        samples = []
        try:
            for i in range(1, rewrites + 1):
                last = rewrite(os.path.join(src, "docs.jsonl"), i)
                time.sleep(0.08)
                if proc.poll() is not None:
                    sys.exit(f"the stream exited with {proc.returncode}: {open(os.path.join(work, 'err.txt')).read()}")
                if i % 100 == 0:
                    rss, anon, mapped = rss_mb(proc.pid)
                    samples.append((i, committed_epochs(out), rss))
                    print(
                        f"  rewrites {i:5}  epochs committed {samples[-1][1]:5}  rss {rss:5} MB"
                        f" (anonymous {anon:5} MB, file-backed {mapped:5} MB)",
                        flush=True,
                    )
            # Let the last rewrite commit, then stop the stream.
            for _ in range(600):
                got = subprocess.run(
                    [wenflow, "sql", "SELECT doc_id, text FROM documents", "--data", out, "--format", "json"],
                    capture_output=True,
                    text=True,
                )
                docs = {d["doc_id"]: d["text"] for d in json.loads(got.stdout or "[]")} if got.returncode == 0 else {}
                if docs == last:
                    break
                time.sleep(0.1)
            else:
                sys.exit("the stream's documents never equalled the last rewrite")
        finally:
            proc.kill()
            proc.wait()
        first, peak = samples[0][2], max(s[2] for s in samples)
        print(f"rss after 100 rewrites {first} MB, at the end {samples[-1][2]} MB, peak {peak} MB; final state equals the last rewrite")


if __name__ == "__main__":
    main()
