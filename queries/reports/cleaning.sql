-- title: cleaning: documents each rule changed, and how often
SELECT rule, count(DISTINCT doc_id) AS documents, sum(count) AS changes
FROM clean_changes
GROUP BY 1
ORDER BY 3 DESC, 1
