-- title: entities: mentions and documents per kind
SELECT kind, count(*) AS mentions, count(DISTINCT doc_id) AS documents, count(DISTINCT norm) AS distinct_names
FROM entities
GROUP BY kind
ORDER BY mentions DESC, kind
