-- title: where the duplicates of each collection are: documents of a collection with a cluster member in another
SELECT a.collection AS collection, b.collection AS duplicated_in, count(DISTINCT a.doc_id) AS documents
FROM duplicates da
JOIN duplicates db ON da.cluster_id = db.cluster_id AND da.doc_id <> db.doc_id
JOIN documents a ON a.doc_id = da.doc_id
JOIN documents b ON b.doc_id = db.doc_id
WHERE a.collection IS DISTINCT FROM b.collection
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2
