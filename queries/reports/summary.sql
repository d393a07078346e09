-- title: the corpus by collection and dynasty: documents, characters, authors, quality, duplicates
SELECT d.collection, d.dynasty,
       count(*) AS documents,
       sum(d.chars) AS chars,
       count(DISTINCT d.author) AS authors,
       round(avg(d.quality), 3) AS mean_quality,
       count(dup.doc_id) AS in_clusters,
       count(dup.doc_id) - count(CASE WHEN dup.doc_id = dup.cluster_id THEN 1 END) AS duplicates
FROM documents d
LEFT JOIN duplicates dup ON dup.doc_id = d.doc_id
GROUP BY d.collection, d.dynasty
ORDER BY documents DESC, d.collection, d.dynasty
