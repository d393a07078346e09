#!/usr/bin/env bash
# Near-duplicate detection side by side: wenflow (dedup alone, and the whole ingest with and
# without near duplicates), datatrove's MinHash pipeline and datasketch's MinHashLSH, on
# the same input, in one run. Prints markdown tables: median wall, docs/s and peak RSS of
# RUNS runs each, then how far the duplicate sets agree.
#
#   bench/peers/run.sh CORPUS_DIR [RUNS=3]
#
# Needs a release build (`cargo build --release --workspace`) and bench/peers/setup.sh.
set -euo pipefail
CORPUS="$1"; RUNS="${2:-3}"
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${CARGO_TARGET_DIR:-$HERE/../../target}/release"
PY="${WENFLOW_VENV:-$HOME/.cache/wenflow/venv}/bin/python"
WORK="${WENFLOW_PEERS_WORK:-/tmp/wenflow-peers}"
NGRAM=2
[ -x "$BIN/wenflow" ] && [ -x "$BIN/wenflow-bench" ] || { echo "no release build in $BIN (set CARGO_TARGET_DIR)" >&2; exit 1; }
mkdir -p "$WORK"

# One ingest gives the documents every method reads (Han characters of the simplified text).
rm -rf "$WORK/ingest"
"$BIN/wenflow" ingest "$CORPUS" --out "$WORK/ingest" -w 2 >/dev/null 2>&1
rm -rf "$WORK/in"
"$PY" "$HERE/export_input.py" "$WORK/ingest" "$WORK/in" --shards 4
DOCS=$(cat "$WORK"/in/*.jsonl | wc -l)

# name, then the command; each run under peak_rss.py ("wall-seconds peak-kb", memory summed
# over the process tree).
measure() {
  local name="$1"; shift
  local walls=() rsss=()
  for _ in $(seq "$RUNS"); do
    [ "$name" = "wenflow ingest" ] || [ "$name" = "wenflow ingest, exact only" ] && rm -rf "$WORK/out"
    "$PY" "$HERE/peak_rss.py" "$WORK/time.txt" "$@"
    read -r w r < <(tail -1 "$WORK/time.txt")
    walls+=("$w"); rsss+=("$r")
  done
  "$PY" - "$name" "$DOCS" "${walls[*]}" "${rsss[*]}" <<'PYEOF'
import statistics, sys
name, docs, walls, rsss = sys.argv[1], int(sys.argv[2]), [float(x) for x in sys.argv[3].split()], [int(x) for x in sys.argv[4].split()]
w = statistics.median(walls)
print(f"| {name} | {w:.1f} s ({', '.join(f'{x:.1f}' for x in walls)}) | {docs / w / 1000:.1f}k | {statistics.median(rsss) / 1024:.0f} MB |")
PYEOF
}

echo "$DOCS documents, character ${NGRAM}-grams"
echo
echo "| method | wall, median of $RUNS (runs) | docs/s | peak RSS |"
echo "|---|---|---|---|"
measure "wenflow dedup alone, 2 workers, 20x6 bands, exact verification" \
  "$BIN/wenflow-bench" --dedup-input "$WORK/in" --dedup-output "$WORK/wenflow.tsv" --workers 2
measure "datatrove 0.10.1 MinHash, 2 tasks, 12x10 buckets, no verification" \
  "$PY" "$HERE/datatrove_minhash.py" "$WORK/in" "$WORK/datatrove" "$WORK/datatrove.tsv" --ngram $NGRAM --bands 12 --rows 10 --tasks 2
measure "datasketch 2.0.0 MinHashLSH, threshold 0.8, 120 perms, 1 process" \
  "$PY" "$HERE/datasketch_lsh.py" "$WORK/in" "$WORK/datasketch.tsv" --ngram $NGRAM --num-perm 120 --threshold 0.8
measure "wenflow ingest, exact only" "$BIN/wenflow" ingest "$CORPUS" --out "$WORK/out" -w 2 --no-near-duplicates
measure "wenflow ingest" "$BIN/wenflow" ingest "$CORPUS" --out "$WORK/out" -w 2
"$PY" "$HERE/export_wenflow.py" "$WORK/out" "$WORK/wenflow-ingest.tsv" >/dev/null
"$PY" -c 'from datasketch import MinHashLSH; l = MinHashLSH(threshold=0.8, num_perm=120); print(f"datasketch picks {l.b} bands x {l.r} rows (S-curve midpoint {(1 / l.b) ** (1 / l.r):.3f}); datatrove 12 x 10: {(1 / 12) ** (1 / 10):.3f}; wenflow 20 x 6: {(1 / 20) ** (1 / 6):.3f}, then exact J >= 0.8")'
echo
"$PY" "$HERE/compare.py" --input "$WORK/in" --ngram $NGRAM --threshold 0.8 \
  wenflow="$WORK/wenflow.tsv" datatrove="$WORK/datatrove.tsv" datasketch="$WORK/datasketch.tsv" \
  "wenflow ingest"="$WORK/wenflow-ingest.tsv"
