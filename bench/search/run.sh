#!/usr/bin/env bash
# Search side by side (make bench-search): wenflow's index inside the full ingest, and the
# tantivy-py peer on the same documents and queries, in one run.
#
#   bash bench/search/run.sh WENFLOW WENFLOW_BENCH CORPUS_DIR [RUNS]
#
# 1. `wenflow ingest CORPUS -w 2` with and without the index, RUNS times each, under GNU
#    time (wall, user and system CPU, peak RSS): the index's cost in wall and CPU time;
# 2. the query set (queries.py: 400 spans unique in the corpus, OpenCC trad/simp forms)
#    and the peer's document file, from the indexed output;
# 3. wenflow: accuracy and latency through the library (wenflow-bench --search-eval);
# 4. tantivy-py 0.27: index build with character bigrams and unigrams (RUNS times, peak
#    RSS of the process tree), then the same queries on each;
# 5. the markdown tables (report.py).
set -euo pipefail
WENFLOW=$(realpath "$1"); BENCH=$(realpath "$2"); CORPUS=$3; RUNS=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${WENFLOW_PYTHON:-$HOME/.cache/wenflow/venv/bin/python}
S=${WENFLOW_BENCH_SCRATCH:-/tmp/wenflow-bench}/search
mkdir -p "$S"
"$PY" -c 'import tantivy, opencc, duckdb' 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check tantivy==0.27.0 opencc==1.4.2 duckdb

for i in $(seq "$RUNS"); do
  for mode in index noindex; do
    rm -rf "$S/out-$mode"
    extra=(); [ "$mode" = noindex ] && extra=(--no-index)
    /usr/bin/time -f '%e %U %S %M' -o "$S/time-$mode-$i.txt" \
      "$WENFLOW" ingest "$CORPUS" --out "$S/out-$mode" -w 2 "${extra[@]}" >"$S/summary-$mode.txt" 2>/dev/null
  done
done

"$PY" "$HERE/queries.py" "$S/out-index" "$S/queries.jsonl" "$S/docs.jsonl" --n 400
"$BENCH" --search-eval "$S/queries.jsonl" --index "$S/out-index" --runs "$RUNS" >"$S/wenflow.json"

for grams in 2 1; do
  for i in $(seq "$RUNS"); do
    rm -rf "$S/tantivy-py-$grams" && mkdir -p "$S/tantivy-py-$grams"
    "$PY" "$HERE/../peers/peak_rss.py" "$S/time-tantivy-py-$grams-$i.txt" \
      "$PY" "$HERE/tantivy_py.py" build "$S/docs.jsonl" "$S/tantivy-py-$grams" --grams "$grams"
  done
  "$PY" "$HERE/tantivy_py.py" query "$S/tantivy-py-$grams" "$S/queries.jsonl" --grams "$grams" --runs "$RUNS" \
    >"$S/tantivy-py-$grams.json"
done

"$PY" "$HERE/report.py" "$S" "$RUNS"
