#!/usr/bin/env bash
# OCR side by side (make bench-ocr): wenflow's page stage inside the full ingest, and the
# `tesseract` command line on the same rendered pages, in one run.
#
#   bash bench/ocr/run.sh WENFLOW CORPUS_DIR [PAGES_PER_KIND] [RUNS]
#
# 1. render PAGES_PER_KIND pages of each kind (horizontal/vertical x clean/degraded) from
#    real 全唐詩 text with the true text beside each (scripts/ocr/render_pages.py);
# 2. `wenflow ingest PAGES -w 1` and `-w 2`, RUNS times each, under GNU time, with the
#    defaults a user gets (languages chi_tra+eng, layout detected from the page); the text
#    of each row of the `pages` table is that page's hypothesis; and `-w 2 --ocr-languages
#    chi_tra`, the CLI's models, for a like-for-like comparison;
# 3. `tesseract PAGE stdout` with 1 and 2 processes, RUNS times each, told each page's
#    layout (chi_tra --psm 6 horizontal, chi_tra_vert --psm 5 vertical);
# 4. the character error rate of each against the truth (cer.py) and the markdown tables
#    (report.py).
set -euo pipefail
WENFLOW=$(realpath "$1"); CORPUS=$2; PER_KIND=${3:-10}; RUNS=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${WENFLOW_PYTHON:-$HOME/.cache/wenflow/venv/bin/python}
S=${WENFLOW_BENCH_SCRATCH:-/tmp/wenflow-bench}/ocr
rm -rf "$S" && mkdir -p "$S/scans"
export OMP_THREAD_LIMIT=1

"$PY" "$HERE/../../scripts/ocr/render_pages.py" "$CORPUS" "$S/pages" --pages "$PER_KIND"
# Only the images go to the ingest: the truths and the manifest stay beside them.
for f in "$S"/pages/*.png "$S"/pages/*.jpg; do ln -s "$f" "$S/scans/"; done

for i in $(seq "$RUNS"); do
  # name and options of each wenflow run; w2-han is told the CLI's models (chi_tra alone),
  # for a like-for-like comparison.
  for run in "w1:-w 1" "w2:-w 2" "w2-han:-w 2 --ocr-languages chi_tra"; do
    name=${run%%:*}
    rm -rf "$S/out-$name"
    # shellcheck disable=SC2086 # the options are words
    /usr/bin/time -f '%e %U %S %M' -o "$S/time-wenflow-$name-$i.txt" \
      "$WENFLOW" ingest "$S/scans" --out "$S/out-$name" --no-index ${run#*:} \
      >"$S/summary-$name.txt" 2>"$S/stderr-$name.txt"
  done
  for p in 1 2; do
    rm -rf "$S/cli-p$p"
    /usr/bin/time -f '%e %U %S %M' -o "$S/time-cli-p$p-$i.txt" \
      "$PY" "$HERE/tesseract_cli.py" "$S/pages" "$S/cli-p$p" --processes "$p" >"$S/cli-p$p.json"
  done
done

# The hypotheses: the pages table's text, one file per page, named as the truths are.
for run in w2 w2-han; do
  "$WENFLOW" sql "SELECT doc_id, page, text, confidence, ms FROM pages ORDER BY doc_id" --data "$S/out-$run" \
    --format json >"$S/pages-$run.json"
  "$PY" - "$S" "$run" <<'EOF'
import json, os, sys
s, run = sys.argv[1], sys.argv[2]
os.makedirs(f"{s}/wenflow-{run}", exist_ok=True)
rows = json.load(open(f"{s}/pages-{run}.json", encoding="utf-8"))
for r in rows:
    truth = os.path.splitext(r["doc_id"])[0] + ".txt"
    open(f"{s}/wenflow-{run}/{truth}", "w", encoding="utf-8").write(r["text"] or "")
EOF
  "$PY" "$HERE/cer.py" "$S/pages" "$S/wenflow-$run" --json >"$S/cer-wenflow-$run.json"
done
"$PY" "$HERE/cer.py" "$S/pages" "$S/cli-p2" --json >"$S/cer-cli.json"
"$PY" "$HERE/report.py" "$S" "$RUNS"
