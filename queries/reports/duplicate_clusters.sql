-- title: the 50 largest duplicate clusters and the document each keeps
SELECT dup.cluster_id, dup.kind, count(*) AS members,
       count(DISTINCT d.collection) AS collections,
       round(min(dup.similarity), 3) AS min_similarity,
       min(k.collection) AS kept_collection, min(k.author) AS kept_author, substr(min(k.title), 1, 24) AS kept_title
FROM duplicates dup
JOIN documents d ON d.doc_id = dup.doc_id
LEFT JOIN documents k ON k.doc_id = dup.cluster_id
GROUP BY dup.cluster_id, dup.kind
ORDER BY members DESC, dup.cluster_id
LIMIT 50
