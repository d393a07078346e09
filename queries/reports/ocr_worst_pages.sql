-- title: OCR: the 20 pages read with the lowest confidence
SELECT doc_id, page, round(raw_confidence, 3) AS confidence, orientation, engine, model, text
FROM (
  SELECT doc_id, page, confidence AS raw_confidence, orientation, engine, model,
         substr(replace(text, chr(10), ' '), 1, 40) AS text
  FROM pages
  WHERE confidence IS NOT NULL
)
ORDER BY raw_confidence, doc_id, page
LIMIT 20
