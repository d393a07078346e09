//! Bad input and the accounting invariant: documents + failures (filtered included) = inputs.

use super::support::{count, ingest, ingest_raw, sql};

#[test]
fn every_input_is_accounted_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("texts")).expect("mkdir");
    let mut jsonl = Vec::new();
    jsonl.extend_from_slice(
        b"{\"id\": \"a\", \"text\": \"\xe5\xba\x8a\xe5\x89\x8d\xe6\x98\x8e\xe6\x9c\x88\xe5\x85\x89\"}\n",
    );
    jsonl.extend_from_slice(b"{\"id\": \"b\", \"text\": \"broken\"\n"); // malformed JSON
    jsonl.extend_from_slice(b"{\"id\": \"c\", \"text\": \"\xff\xfe bad utf-8\"}\n"); // invalid UTF-8
    jsonl.extend_from_slice(b"{\"id\": \"d\", \"name\": \"no text\"}\n"); // no text field
    jsonl.extend_from_slice(b"{\"id\": \"e\", \"text\": \"   \"}\n"); // empty after cleaning: filtered
    jsonl.extend_from_slice("{\"id\": \"a\", \"text\": \"舉頭望明月 (second claim on id a)\"}\n".as_bytes()); // id conflict
    jsonl.extend_from_slice(b"\n[1, 2]\n"); // a blank line (not a record) and a non-object
    jsonl.extend_from_slice(b"{\"text\": \"\xe7\x96\x91\xe6\x98\xaf\xe5\x9c\xb0\xe4\xb8\x8a\xe9\x9c\x9c\"}\n"); // no id
    std::fs::write(input.join("records.jsonl"), jsonl).expect("write");
    std::fs::write(
        input.join("array.json"),
        r#"[{"title": "x", "paragraphs": ["天地玄黃，", "宇宙洪荒。"]}, {"title": "y", "content": "日月盈昃"}]"#,
    )
    .expect("write");
    std::fs::write(input.join("broken.json"), r#"[{"title": "x", "#).expect("write");
    let poem = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。";
    std::fs::write(input.join("texts/gb.txt"), encoding_rs::GB18030.encode(poem).0).expect("write");
    std::fs::write(input.join("texts/big5.txt"), encoding_rs::BIG5.encode(poem).0).expect("write");
    std::fs::write(input.join("texts/bad.txt"), [0x81u8, 0x20, 0xff, 0xfe, 0x00, 0x81]).expect("write");
    std::fs::write(input.join("texts/notes.bin"), b"ignored: unknown extension").expect("write");
    std::fs::write(input.join("texts/huge.txt"), "天".repeat(400_000)).expect("write"); // 1.2 MB: over --max-file-mb 1
    std::os::unix::fs::symlink(input.join("texts/missing.txt"), input.join("texts/dangling.txt")).expect("symlink");
    // inputs: 8 JSONL records + 2 array records + 1 broken file + 5 text files = 16
    let out = dir.path().join("out");
    let summary = ingest(&[&input], &out, &["-w", "2", "--max-file-mb", "1"]);
    assert!(summary.contains("inputs     16"), "{summary}");

    let docs = count(&out, "SELECT count(*) FROM documents");
    let failures = count(&out, "SELECT count(*) FROM failures");
    assert_eq!(docs + failures, 16, "documents {docs} + failures {failures} != inputs");
    assert_eq!(docs, 6, "a, no-id record, 2 array records, gb.txt, big5.txt");

    let stages = sql(&out, "SELECT stage, count(*) AS n FROM failures GROUP BY stage ORDER BY stage");
    let stages: Vec<(String, i64)> =
        stages.iter().map(|r| (r["stage"].as_str().unwrap_or("").to_string(), r["n"].as_i64().unwrap_or(0))).collect();
    assert_eq!(stages, vec![("filter".into(), 1), ("identity".into(), 1), ("parse".into(), 4), ("read".into(), 4)]);
    let huge = sql(&out, "SELECT error FROM failures WHERE source LIKE '%huge.txt'");
    assert!(huge[0]["error"].as_str().unwrap_or("").contains("over the limit"), "{huge:?}");
    let dangling = sql(&out, "SELECT error FROM failures WHERE source LIKE '%dangling.txt'");
    assert!(dangling[0]["error"].as_str().unwrap_or("").contains("cannot read"), "{dangling:?}");

    let texts = sql(&out, "SELECT doc_id, text FROM documents WHERE doc_id LIKE 'texts/%' ORDER BY doc_id");
    assert_eq!(texts.len(), 2);
    assert!(texts.iter().all(|r| r["text"] == poem), "decoded texts: {texts:?}");
    let winner = sql(&out, "SELECT text FROM documents WHERE doc_id = 'a'");
    assert_eq!(winner[0]["text"], "床前明月光", "the first claimant of an id wins");
    let no_id = count(&out, "SELECT count(*) FROM documents WHERE doc_id = 'records.jsonl#8'");
    assert_eq!(no_id, 1, "a record without id is named <file>#<line index>");

    let strict = ingest_raw(&[&input], &dir.path().join("out2"), &["--fail-on-error", "--max-file-mb", "1"]);
    assert_eq!(strict.status.code(), Some(1), "--fail-on-error exits 1 when inputs failed");
}

#[test]
fn field_mapping_and_parquet_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("custom.jsonl");
    std::fs::write(&input, "{\"key\": \"k1\", \"body\": [\"一\", \"二\"], \"heading\": \"h\", \"writer\": \"w\", \"era\": \"唐\", \"shelf\": \"s\"}\n").expect("write");
    let out = dir.path().join("out");
    ingest(
        &[&input],
        &out,
        &[
            "--id-field",
            "key",
            "--text-field",
            "body",
            "--title-field",
            "heading",
            "--author-field",
            "writer",
            "--dynasty-field",
            "era",
            "--collection-field",
            "shelf",
        ],
    );
    let rows = sql(&out, "SELECT doc_id, text, title, author, dynasty, collection FROM documents");
    assert_eq!(
        rows[0],
        serde_json::json!({"doc_id": "k1", "text": "一\n二", "title": "h", "author": "w", "dynasty": "唐", "collection": "s"})
    );

    // The documents table's own Parquet part is a Parquet input with the default mapping.
    let part = std::fs::read_dir(out.join("documents"))
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a part");
    let out2 = dir.path().join("out2");
    ingest(&[&part], &out2, &["--id-field", "doc_id"]);
    let rows = sql(&out2, "SELECT doc_id, text, title FROM documents");
    assert_eq!(rows[0], serde_json::json!({"doc_id": "k1", "text": "一\n二", "title": "h"}));
}
