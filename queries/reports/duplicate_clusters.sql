-- title: the 50 largest duplicate clusters and the document each keeps
WITH largest AS (
  SELECT cluster_id,
         CASE WHEN bool_or(kind = 'near') THEN 'near' ELSE 'exact' END AS kind,
         count(*) AS members,
         round(min(similarity), 3) AS min_similarity
  FROM duplicates
  GROUP BY cluster_id
  ORDER BY members DESC, cluster_id
  LIMIT 50
)
SELECT l.cluster_id, l.kind, l.members,
       (SELECT count(DISTINCT d.collection) FROM duplicates m JOIN documents d ON d.doc_id = m.doc_id
        WHERE m.cluster_id = l.cluster_id) AS collections,
       l.min_similarity,
       k.collection AS kept_collection, k.author AS kept_author, substr(k.title, 1, 24) AS kept_title
FROM largest l
LEFT JOIN documents k ON k.doc_id = l.cluster_id
ORDER BY l.members DESC, l.cluster_id
