#!/usr/bin/env bash
# A short report over an ingest's tables: documents per collection, exact and near duplicates, era dates,
# cleaning changes, entities, failures, and a few searches of the full-text index.
set -euo pipefail
WENFLOW="$1"; OUT="$2"
# A few of the named reports of queries/reports/ (`wenflow report --list` names them all).
echo; "$WENFLOW" report summary duplicates near_duplicates entity_kinds top_entities era_dates cleaning failures --data "$OUT"
echo; echo "== search: a line in simplified characters finds the poem (traditional in the corpus)"
"$WENFLOW" search "举头望明月" --index "$OUT" --limit 3
echo; echo "== search: Tang poems about spring whose text names a year of the 820s by an era date"
"$WENFLOW" search "春" --index "$OUT" --dynasty 唐 --year 820..830 --limit 3
