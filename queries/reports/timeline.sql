-- title: the era-date timeline: documents naming a year of each Gregorian decade (unambiguous dates)
SELECT CAST(floor(year / 10.0) * 10 AS BIGINT) AS decade,
       count(DISTINCT doc_id) AS documents,
       count(*) AS mentions
FROM entities
WHERE kind = 'ERA_DATE' AND NOT ambiguous AND year IS NOT NULL
GROUP BY 1
ORDER BY 1
