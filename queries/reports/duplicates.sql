-- title: duplicate clusters within one collection and across collections, by kind (near: some member is not an exact copy)
WITH clusters AS (
  SELECT dup.cluster_id,
         CASE WHEN bool_or(dup.kind = 'near') THEN 'near' ELSE 'exact' END AS kind,
         count(*) AS members,
         min(d.collection) IS DISTINCT FROM max(d.collection) AS across
  FROM duplicates dup JOIN documents d ON d.doc_id = dup.doc_id
  GROUP BY dup.cluster_id
)
SELECT CASE WHEN across THEN 'across' ELSE 'within' END AS scope, kind,
       count(*) AS clusters, sum(members) AS documents, sum(members) - count(*) AS removed,
       max(members) AS largest
FROM clusters
GROUP BY 1, 2
ORDER BY 1, 2
