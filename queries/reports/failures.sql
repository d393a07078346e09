-- title: failures and filtered records by stage and reason (numbers in messages folded to N; the 100 most frequent)
SELECT stage,
       regexp_replace(error, '[0-9]+(\.[0-9]+)?', 'N', 'g') AS reason,
       count(*) AS records,
       min(coalesce(doc_id, source)) AS example
FROM failures
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2
LIMIT 100
