-- title: why DOC_ID: everything that happened to one document, epoch by epoch
-- param: doc_id
SELECT epoch, "table", change, detail FROM (
  SELECT time AS epoch, 'documents' AS "table", CASE WHEN diff > 0 THEN 'inserted' ELSE 'retracted' END AS change,
         concat_ws(' · ', collection, author, '《' || title || '》', chars || ' chars', 'quality ' || round(quality, 2),
                   'hash ' || substr(content_hash, 1, 12), source) AS detail, 0 AS pos
  FROM documents_log WHERE doc_id = $doc_id
  UNION ALL
  SELECT time, 'failures', CASE WHEN diff > 0 THEN stage ELSE stage || ' withdrawn' END, coalesce(error, ''), 0
  FROM failures_log WHERE doc_id = $doc_id
  UNION ALL
  SELECT time, 'clean_changes', CASE WHEN diff > 0 THEN 'cleaned' ELSE 'withdrawn' END, rule || ' ×' || count, 0
  FROM clean_changes_log WHERE doc_id = $doc_id
  UNION ALL
  SELECT d.time, 'duplicates', CASE WHEN d.diff > 0 THEN 'joined ' || d.kind || ' cluster' ELSE 'left ' || d.kind || ' cluster' END,
         CASE WHEN d.doc_id = d.cluster_id THEN 'kept: it represents its cluster'
              ELSE 'removed as a duplicate of ' || d.cluster_id END || ' (similarity ' || round(d.similarity, 3) || ')', 0
  FROM duplicates_log d WHERE d.doc_id = $doc_id
  UNION ALL
  SELECT time, 'entities', CASE WHEN diff > 0 THEN 'found' ELSE 'withdrawn' END,
         kind || ' ' || text || CASE WHEN norm <> text THEN ' → ' || norm ELSE '' END
         || coalesce(' (' || year || ')', '') || ' at ' || start || CASE WHEN ambiguous THEN ' (ambiguous)' ELSE '' END, start
  FROM entities_log WHERE doc_id = $doc_id
  UNION ALL
  SELECT time, 'pages', CASE WHEN diff > 0 THEN 'read' ELSE 'withdrawn' END,
         concat_ws(', ', 'page ' || page, 'confidence ' || round(confidence, 3), concat_ws(' ', engine, model), orientation), page
  FROM pages_log WHERE doc_id = $doc_id
)
ORDER BY epoch, "table", change DESC, pos, detail
