-- title: the ten most mentioned names of each kind (persons, places, offices, rulers, dynasties, era dates)
SELECT kind, rank, norm, documents
FROM (
  SELECT kind, norm, documents,
         CAST(row_number() OVER (PARTITION BY kind ORDER BY documents DESC, norm) AS BIGINT) AS rank
  FROM entity_counts
)
WHERE rank <= 10
ORDER BY kind, rank
