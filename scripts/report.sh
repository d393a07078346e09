#!/usr/bin/env bash
# A short report over an ingest's tables: documents per collection, exact and near duplicates, era dates,
# cleaning changes, entities, failures, and a few searches of the full-text index.
set -euo pipefail
WENFLOW="$1"; OUT="$2"
# The named reports of queries/src/reports.rs (`wenflow report --list`).
echo; "$WENFLOW" report --data "$OUT"
echo; echo "== search: a line in simplified characters finds the poem (traditional in the corpus)"
"$WENFLOW" search "举头望明月" --index "$OUT" --limit 3
echo; echo "== search: Tang poems about spring whose text names a year of the 820s by an era date"
"$WENFLOW" search "春" --index "$OUT" --dynasty 唐 --year 820..830 --limit 3
