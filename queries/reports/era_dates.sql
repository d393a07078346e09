-- title: the most mentioned reign-era dates (unambiguous)
SELECT norm, year, count(DISTINCT doc_id) AS documents
FROM entities
WHERE kind = 'ERA_DATE' AND NOT ambiguous
GROUP BY 1, 2
ORDER BY 3 DESC, 1
LIMIT 10
