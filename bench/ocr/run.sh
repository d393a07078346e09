#!/usr/bin/env bash
# OCR side by side (make bench-ocr): wenflow's page stage inside the full ingest, and the
# `tesseract` command line on the same rendered pages, in one run.
#
#   bash bench/ocr/run.sh WENFLOW CORPUS_DIR [PAGES_PER_KIND] [RUNS] [LAYOUT_PAGES_PER_KIND]
#
# Two sets of pages rendered from real 全唐詩 text with the true text beside each
# (scripts/ocr/render_pages.py):
#   pages/   PAGES_PER_KIND pages of each kind (horizontal/vertical x clean/degraded), seed 5:
#            speed and character error rate;
#   layout/  LAYOUT_PAGES_PER_KIND [25] degraded pages of each layout, seed 11 (text and
#            faults no test has seen): rotation up to 1.5 degrees, blur, speckle, noise,
#            JPEG. Is every page read in its layout, and how close is the text;
#   grid/    10 pages of each kind set on a square grid (lines as far apart as the
#            characters in them), seed 12: blank rows and columns cannot tell the layout,
#            reading both ways must.
# 1. `wenflow ingest pages -w 1` and `-w 2`, RUNS times each, under GNU time, with the
#    defaults a user gets (chi_tra, layout decided per page); and `-w 2 --ocr-languages
#    chi_tra+eng`, the models for pages that mix in Latin script; the text of each row of
#    the `pages` table is that page's hypothesis;
# 2. `tesseract PAGE stdout` with 1 and 2 processes, RUNS times each, told each page's
#    layout (chi_tra --psm 6 horizontal, chi_tra_vert --psm 5 vertical);
# 3. once on layout/ and grid/: `wenflow ingest -w 2` (defaults) and the CLI with 2
#    processes;
# 4. the character error rate of each against the truth (cer.py), the layouts and skews
#    of the pages table against the manifest, and the markdown tables (report.py).
set -euo pipefail
WENFLOW=$(realpath "$1"); CORPUS=$2; PER_KIND=${3:-10}; RUNS=${4:-3}; LAYOUT_PER_KIND=${5:-25}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${WENFLOW_PYTHON:-$HOME/.cache/wenflow/venv/bin/python}
S=${WENFLOW_BENCH_SCRATCH:-/tmp/wenflow-bench}/ocr
rm -rf "$S" && mkdir -p "$S/scans" "$S/layout-scans" "$S/grid-scans"
export OMP_THREAD_LIMIT=1

"$PY" "$HERE/../../scripts/ocr/render_pages.py" "$CORPUS" "$S/pages" --pages "$PER_KIND"
"$PY" "$HERE/../../scripts/ocr/render_pages.py" "$CORPUS" "$S/layout" --pages "$LAYOUT_PER_KIND" --seed 11 \
  --variants degraded
"$PY" "$HERE/../../scripts/ocr/render_pages.py" "$CORPUS" "$S/grid" --pages 10 --seed 12 --spacing 1
# Only the images go to the ingest: the truths and the manifest stay beside them.
for f in "$S"/pages/*.png "$S"/pages/*.jpg; do ln -s "$f" "$S/scans/"; done
for f in "$S"/layout/*.jpg; do ln -s "$f" "$S/layout-scans/"; done
for f in "$S"/grid/*.png "$S"/grid/*.jpg; do ln -s "$f" "$S/grid-scans/"; done

# The hypotheses of a wenflow output: the pages table's text, one file per page, named as
# the truths are; then its CER.
hypotheses() { # OUT NAME PAGES
  "$WENFLOW" sql "SELECT doc_id, page, text, confidence, orientation, layout_by, skew, ms FROM pages ORDER BY doc_id" \
    --data "$1" --format json >"$S/pages-$2.json"
  "$PY" - "$S" "$2" <<'PY'
import json, os, sys
s, run = sys.argv[1], sys.argv[2]
os.makedirs(f"{s}/wenflow-{run}", exist_ok=True)
for r in json.load(open(f"{s}/pages-{run}.json", encoding="utf-8")):
    truth = os.path.splitext(r["doc_id"])[0] + ".txt"
    open(f"{s}/wenflow-{run}/{truth}", "w", encoding="utf-8").write(r["text"] or "")
PY
  "$PY" "$HERE/cer.py" "$3" "$S/wenflow-$2" --json >"$S/cer-wenflow-$2.json"
}

for i in $(seq "$RUNS"); do
  # name and options of each wenflow run.
  for run in "w1:-w 1" "w2:-w 2" "w2-eng:-w 2 --ocr-languages chi_tra+eng"; do
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
for run in w2 w2-eng; do hypotheses "$S/out-$run" "$run" "$S/pages"; done
"$PY" "$HERE/cer.py" "$S/pages" "$S/cli-p2" --json >"$S/cer-cli.json"

for set in layout grid; do
  "$WENFLOW" ingest "$S/$set-scans" --out "$S/out-$set" --no-index -w 2 >"$S/summary-$set.txt" 2>"$S/stderr-$set.txt"
  hypotheses "$S/out-$set" "$set" "$S/$set"
  "$PY" "$HERE/tesseract_cli.py" "$S/$set" "$S/cli-$set" --processes 2 >"$S/cli-$set.json"
  "$PY" "$HERE/cer.py" "$S/$set" "$S/cli-$set" --json >"$S/cer-cli-$set.json"
done

"$PY" "$HERE/report.py" "$S" "$RUNS"
