#!/usr/bin/env bash
# A short report over an ingest's tables: documents per collection, duplicates, failures.
set -euo pipefail
WENFLOW="$1"; OUT="$2"
echo; echo "== documents by collection"
"$WENFLOW" sql "SELECT collection, dynasty, count(*) AS documents, sum(chars) AS chars FROM documents GROUP BY 1, 2 ORDER BY 3 DESC" --data "$OUT"
echo; echo "== duplicate clusters by kind, and the collections they join"
"$WENFLOW" sql "SELECT d.kind, count(DISTINCT d.cluster_id) AS clusters, count(*) AS documents FROM duplicates d GROUP BY 1" --data "$OUT"
"$WENFLOW" sql "SELECT a.collection AS collection_a, b.collection AS collection_b, count(*) AS shared FROM duplicates d JOIN documents a ON a.doc_id = d.cluster_id JOIN documents b ON b.doc_id = d.doc_id WHERE d.doc_id <> d.cluster_id GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 8" --data "$OUT"
echo; echo "== failures by stage"
"$WENFLOW" sql "SELECT stage, count(*) AS failures, min(error) AS example FROM failures GROUP BY 1 ORDER BY 2 DESC" --data "$OUT"
