//! The clean stage through `wenflow ingest`: options, the `clean_changes` table, the
//! simplified copy, the script, and the quality filter's failures rows.

use super::support::{count, ingest, sql};

#[test]
fn cleaning_options_changes_and_the_quality_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let records = [
        // Layout text with debris, ASCII punctuation, a variant, a placeholder, a phone number.
        serde_json::json!({"id": "ocr", "text": "乾祐三年,爲君l賦詩□。\n電話13812345678"}),
        // A simplified text.
        serde_json::json!({"id": "hans", "text": "国破山河在，城春草木深。"}),
        // Filtered: no Han character; too many placeholders.
        serde_json::json!({"id": "latin", "text": "The quick brown fox."}),
        serde_json::json!({"id": "holes", "text": "□□□□天"}),
    ];
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write");
    let out = dir.path().join("out");
    ingest(&[&input], &out, &["--pii", "phone=drop", "--max-placeholder-share", "0.5"]);

    let doc = sql(&out, "SELECT text, text_simplified, script FROM documents WHERE doc_id = 'ocr'");
    assert_eq!(
        doc[0],
        serde_json::json!({"text": "乾祐三年，為君賦詩□。\n電話", "text_simplified": "乾祐三年，为君赋诗□。\n电话", "script": "hant"})
    );
    let doc = sql(&out, "SELECT script FROM documents WHERE doc_id = 'hans'");
    assert_eq!(doc[0]["script"], "hans");

    let changes = sql(&out, "SELECT rule, count FROM clean_changes WHERE doc_id = 'ocr' ORDER BY rule");
    let changes: Vec<(String, i64)> = changes
        .iter()
        .map(|r| (r["rule"].as_str().unwrap_or("").to_owned(), r["count"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("debris".into(), 1),
            ("pii_phone".into(), 1),
            ("placeholder".into(), 1),
            ("punctuation".into(), 1),
            ("variant".into(), 1)
        ]
    );

    let filtered = sql(&out, "SELECT doc_id, error FROM failures WHERE stage = 'filter' ORDER BY doc_id");
    assert_eq!(
        filtered,
        vec![
            serde_json::json!({"doc_id": "holes", "error": "filtered: placeholder share 0.80 > 0.50"}),
            serde_json::json!({"doc_id": "latin", "error": "filtered: han share 0.00 < 0.20"}),
        ]
    );
    assert_eq!(count(&out, "SELECT count(*) FROM documents") + count(&out, "SELECT count(*) FROM failures"), 4);

    // Entities on the clean text: the era date is found at its clean offsets.
    let date = sql(&out, "SELECT text, year, start, \"end\" FROM entities WHERE kind = 'ERA_DATE' AND doc_id = 'ocr'");
    assert!(date.iter().any(|r| r["text"] == "乾祐三年" && r["start"] == 0 && r["end"] == 4), "{date:?}");
}
