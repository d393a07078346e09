-- title: OCR: pages by mean confidence (buckets of 0.1), with the layouts read
SELECT CAST(least(floor(confidence * 10), 9) AS BIGINT) / 10.0 AS bucket,
       count(*) AS pages,
       count(CASE WHEN orientation = 'vertical' THEN 1 END) AS vertical,
       count(DISTINCT doc_id) AS documents
FROM pages
WHERE confidence IS NOT NULL
GROUP BY 1
ORDER BY 1
