-- title: near duplicates: a few members with their cluster's kept document
SELECT round(d.similarity, 3) AS similarity,
       concat_ws(' ', a.collection, a.author, '《' || coalesce(a.title, a.doc_id) || '》') AS member,
       concat_ws(' ', b.collection, b.author, '《' || coalesce(b.title, b.doc_id) || '》') AS kept
FROM duplicates d
JOIN documents a ON a.doc_id = d.doc_id
JOIN documents b ON b.doc_id = d.cluster_id
WHERE d.kind = 'near' AND d.doc_id <> d.cluster_id AND d.similarity < 1
ORDER BY d.doc_id
LIMIT 8
