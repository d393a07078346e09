-- title: duplicate clusters within one collection and across collections, by kind
WITH clusters AS (
  SELECT dup.cluster_id, dup.kind, count(*) AS members, count(DISTINCT d.collection) AS collections
  FROM duplicates dup JOIN documents d ON d.doc_id = dup.doc_id
  GROUP BY dup.cluster_id, dup.kind
)
SELECT CASE WHEN collections > 1 THEN 'across' ELSE 'within' END AS scope, kind,
       count(*) AS clusters, sum(members) AS documents, sum(members) - count(*) AS removed,
       max(members) AS largest
FROM clusters
GROUP BY 1, 2
ORDER BY 1, 2
