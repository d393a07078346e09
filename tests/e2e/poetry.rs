//! The chinese-poetry layout, on files of the real package (`make setup` fetches it).

use super::support::{corpus, count, ingest, sql};

/// Copies a few real files of the package into a folder with the package's layout.
fn sample(dir: &std::path::Path) -> std::path::PathBuf {
    let src = corpus().join("dist");
    let root = dir.join("chinese-poetry");
    for rel in [
        "quantangshi/poet.tang.26000.json",
        "quantangshi/authors.tang.json",
        "quantangshi/唐诗三百首.json",
        "quantangshi/error/poet.tang.0.json",
        "yudingquantangshi/json/494.json",
        "mengxue/qianjiashi.json",
        "sishuwujing/daxue.json",
        "yuanqu/yuanqu.json",
        "strains/json/poet.tang.0.json",
    ] {
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(src.join(rel), &to).unwrap_or_else(|e| panic!("copy {rel}: {e}"));
    }
    root
}

fn python_count(script: &str) -> i64 {
    let out = std::process::Command::new("python3").arg("-c").arg(script).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a number")
}

#[test]
fn layout_collections_dynasties_and_exact_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = sample(dir.path());
    let out = dir.path().join("out");
    ingest(&[&root], &out, &["-w", "2"]);

    let by_collection = sql(&out, "SELECT collection, dynasty, count(*) AS n FROM documents GROUP BY 1, 2 ORDER BY 1");
    let get = |c: &str| {
        by_collection
            .iter()
            .find(|r| r["collection"] == c)
            .cloned()
            .unwrap_or_else(|| panic!("no {c} in {by_collection:?}"))
    };
    // Counted independently of wenflow, with Python's json module on the same files.
    let d = root.display();
    let tang =
        python_count(&format!("import json; print(len(json.load(open('{d}/quantangshi/poet.tang.26000.json'))))"));
    let yuding =
        python_count(&format!("import json; print(len(json.load(open('{d}/yudingquantangshi/json/494.json'))))"));
    let sanbai = python_count(&format!("import json; print(len(json.load(open('{d}/quantangshi/唐诗三百首.json'))))"));
    // Leaves: poems, and the parts (其一, 其二, …) of poems whose paragraphs are parts.
    let qianjiashi = python_count(&format!(
        "import json; d=json.load(open('{d}/mengxue/qianjiashi.json')); \
         print(sum(len(p['paragraphs']) if isinstance(p['paragraphs'][0], dict) else 1 for t in d['content'] for p in t['content']))"
    ));
    let yuanqu = python_count(&format!(
        "import json; print(sum(1 for r in json.load(open('{d}/yuanqu/yuanqu.json')) if any('\\u4e00' <= c <= '\\u9fff' for c in ''.join(r['paragraphs']))))"
    ));
    assert_eq!(get("全唐诗")["n"].as_i64(), Some(tang));
    assert_eq!(get("全唐诗")["dynasty"], "唐");
    assert_eq!(get("御定全唐詩")["n"].as_i64(), Some(yuding));
    assert_eq!(get("唐诗三百首")["n"].as_i64(), Some(sanbai), "shared UUIDs must not collide across collections");
    assert_eq!(get("蒙学")["n"].as_i64(), Some(qianjiashi), "nested sections are documents");
    assert_eq!(get("四书五经")["n"].as_i64(), Some(1), "a single-object file is one document");
    assert_eq!(
        get("元曲")["n"].as_i64(),
        Some(yuanqu),
        "元曲 records without a Han character (empty, or only punctuation) are filtered"
    );
    assert_eq!(get("元曲")["dynasty"], "元");
    assert!(
        by_collection.iter().all(|r| r["collection"] != "strains" && r["collection"] != "error"),
        "skipped folders were read"
    );
    assert_eq!(count(&out, "SELECT count(*) FROM documents WHERE author IS NULL AND collection = '全唐诗'"), 0);

    // Real exact duplicates between 全唐诗 and 御定全唐詩 (same text, different line breaks):
    // members of one cluster with one content hash.
    let cross = count(
        &out,
        "SELECT count(DISTINCT a.doc_id) FROM duplicates da JOIN duplicates db ON da.cluster_id = db.cluster_id \
         JOIN documents a ON a.doc_id = da.doc_id JOIN documents b ON b.doc_id = db.doc_id \
         WHERE a.collection = '御定全唐詩' AND b.collection = '全唐诗' AND a.content_hash = b.content_hash",
    );
    // 91 bodies of these two files are identical once whitespace is removed and variant
    // characters are standardised (70 without the variant map: the editions write 爲 and
    // 為). Counted with Python over the same files: NFC, whitespace removed, the variant
    // table applied, equal strings.
    let variants = concat!(env!("CARGO_MANIFEST_DIR"), "/text/data/variants.tsv");
    let expected = python_count(&format!(
        "import json,re,unicodedata\n\
         v=dict(l.split('\\t')[:2] for l in open('{variants}', encoding='utf-8').read().splitlines()[1:])\n\
         k=lambda r: ''.join(v.get(c,c) for c in re.sub(r'\\s','',unicodedata.normalize('NFC',''.join(r['paragraphs']))))\n\
         t={{k(r) for r in json.load(open('{d}/quantangshi/poet.tang.26000.json'))}}\n\
         print(sum(1 for r in json.load(open('{d}/yudingquantangshi/json/494.json')) if k(r) in t))"
    ));
    assert!(expected > 0);
    assert_eq!(cross, expected, "exact duplicates across 全唐诗 and 御定全唐詩");
    let filtered = count(&out, "SELECT count(*) FROM failures WHERE stage = 'filter'");
    let total_yuanqu = python_count(&format!("import json; print(len(json.load(open('{d}/yuanqu/yuanqu.json'))))"));
    assert_eq!(filtered, total_yuanqu - yuanqu);

    near_duplicates_match_brute_force(&out, dir.path());
}

/// The clusters of the `duplicates` table equal a brute-force computation in Python over
/// every pair of the documents (元曲 left out: 11k songs would make all pairs slow, and none
/// resembles a Tang poem): linked when the content hashes are equal or when the Jaccard
/// similarity of the sets of character bigrams of the Han characters of `text_simplified`
/// reaches 0.8; clusters are connected components, named by their smallest doc_id.
fn near_duplicates_match_brute_force(out: &std::path::Path, dir: &std::path::Path) {
    let docs = sql(
        out,
        "SELECT doc_id, content_hash, COALESCE(text_simplified, text) AS t FROM documents WHERE collection <> '元曲'",
    );
    let input = dir.join("docs.json");
    std::fs::write(&input, serde_json::to_string(&docs).expect("json")).expect("write docs");
    let script = format!(
        r#"import json
docs = json.load(open({input:?}, encoding="utf-8"))
han = lambda c: 0x3400 <= ord(c) <= 0x4DBF or 0x4E00 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF or 0x20000 <= ord(c) <= 0x2A6DF or 0x2A700 <= ord(c) <= 0x2EE5F or 0x2F800 <= ord(c) <= 0x2FA1F or 0x30000 <= ord(c) <= 0x323AF or c == "\u3007"
def grams(t):
    cs = [c for c in t if han(c)]
    return {{"".join(cs[i:i + 2]) for i in range(max(len(cs) - 1, 1))}} if cs else set()
g = [grams(d["t"]) for d in docs]
parent = list(range(len(docs)))
def find(i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
order = sorted(range(len(docs)), key=lambda i: len(g[i]))
for x, i in enumerate(order):
    for j in order[x + 1:]:
        if g[i] and len(g[i]) < 0.8 * len(g[j]):
            break
        same = docs[i]["content_hash"] == docs[j]["content_hash"]
        if same or (g[i] and len(g[i] & g[j]) >= 0.8 * len(g[i] | g[j])):
            a, b = find(i), find(j)
            parent[max(a, b)] = min(a, b)
comps = {{}}
for i in range(len(docs)):
    comps.setdefault(find(i), []).append(docs[i]["doc_id"])
rows = sorted((m, min(ms)) for ms in comps.values() if len(ms) > 1 for m in ms)
print("\n".join(f"{{m}}\t{{c}}" for m, c in rows))
"#,
        input = input.display().to_string()
    );
    let py = std::process::Command::new("python3").arg("-c").arg(&script).output().expect("python3");
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let expected = String::from_utf8_lossy(&py.stdout).trim().to_string();
    let got: Vec<String> = sql(
        out,
        "SELECT d.doc_id, d.cluster_id FROM duplicates d JOIN documents USING (doc_id) \
         WHERE collection <> '元曲' ORDER BY d.doc_id",
    )
    .iter()
    .map(|r| format!("{}\t{}", r["doc_id"].as_str().unwrap_or(""), r["cluster_id"].as_str().unwrap_or("")))
    .collect();
    let near = count(out, "SELECT count(*) FROM duplicates WHERE kind = 'near'");
    assert!(near > 10, "the sample has near duplicates ({near})");
    assert_eq!(got.join("\n"), expected, "clusters differ from the brute force");
}
