#!/usr/bin/env bash
# A short report over an ingest's tables: documents per collection, exact and near duplicates, era dates,
# cleaning changes, entities, failures, and a few searches of the full-text index.
set -euo pipefail
WENFLOW="$1"; OUT="$2"
echo; echo "== documents by collection"
"$WENFLOW" sql "SELECT collection, dynasty, count(*) AS documents, sum(chars) AS chars FROM documents GROUP BY 1, 2 ORDER BY 3 DESC" --data "$OUT"
echo; echo "== duplicate clusters by kind, and the collections they join"
"$WENFLOW" sql "SELECT d.kind, count(DISTINCT d.cluster_id) AS clusters, count(*) AS documents FROM duplicates d GROUP BY 1" --data "$OUT"
"$WENFLOW" sql "SELECT a.collection AS collection, b.collection AS duplicated_in, count(DISTINCT a.doc_id) AS documents FROM duplicates da JOIN duplicates db ON da.cluster_id = db.cluster_id AND da.doc_id <> db.doc_id JOIN documents a ON a.doc_id = da.doc_id JOIN documents b ON b.doc_id = db.doc_id GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10" --data "$OUT"
echo; echo "== near duplicates: a few members with their cluster's representative"
"$WENFLOW" sql "SELECT round(d.similarity, 3) AS similarity, a.collection || ' ' || a.author || '《' || a.title || '》' AS member, b.collection || ' ' || b.author || '《' || b.title || '》' AS representative FROM duplicates d JOIN documents a ON a.doc_id = d.doc_id JOIN documents b ON b.doc_id = d.cluster_id WHERE d.kind = 'near' AND d.doc_id <> d.cluster_id AND d.similarity < 1 ORDER BY d.doc_id LIMIT 8" --data "$OUT"
echo; echo "== most mentioned reign-era dates (unambiguous)"
"$WENFLOW" sql "SELECT norm, year, count(DISTINCT doc_id) AS documents FROM entities WHERE kind = 'ERA_DATE' AND NOT ambiguous GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10" --data "$OUT"
echo; echo "== cleaning: documents each rule changed, and how often"
"$WENFLOW" sql "SELECT rule, count(DISTINCT doc_id) AS documents, sum(count) AS changes FROM clean_changes GROUP BY 1 ORDER BY 3 DESC" --data "$OUT"
echo; echo "== entities: mentions per kind, and the most mentioned persons and places"
"$WENFLOW" sql "SELECT kind, count(*) AS rows, count(DISTINCT doc_id) AS documents FROM entities GROUP BY 1 ORDER BY 2 DESC" --data "$OUT"
"$WENFLOW" sql "SELECT kind, norm, documents FROM entity_counts WHERE kind = 'PERSON' ORDER BY documents DESC LIMIT 8" --data "$OUT"
"$WENFLOW" sql "SELECT kind, norm, documents FROM entity_counts WHERE kind = 'PLACE' ORDER BY documents DESC LIMIT 8" --data "$OUT"
echo; echo "== failures by stage"
"$WENFLOW" sql "SELECT stage, count(*) AS failures, min(error) AS example FROM failures GROUP BY 1 ORDER BY 2 DESC" --data "$OUT"
echo; echo "== search: a line in simplified characters finds the poem (traditional in the corpus)"
"$WENFLOW" search "举头望明月" --index "$OUT" --limit 3
echo; echo "== search: Tang poems about spring whose text names a year of the 820s by an era date"
"$WENFLOW" search "春" --index "$OUT" --dynasty 唐 --year 820..830 --limit 3
