//! Shards, catch-up and search through real tantivy indexes on disk.

use std::ops::Bound;
use std::path::Path;

use wenflow_engine::{Document, EntityKind, EntityRow};
use wenflow_index::shards::ShardWriter;
use wenflow_index::{EpochChanges, IndexLayout, SearchRequest, ShardedSearcher, catch_up};

const POEMS: [(&str, &str, &str, &str); 6] = [
    ("靜夜思", "李白", "床前明月光，疑是地上霜。\n舉頭望明月，低頭思故鄉。", "唐"),
    ("春曉", "孟浩然", "春眠不覺曉，處處聞啼鳥。\n夜來風雨聲，花落知多少。", "唐"),
    ("登鸛雀樓", "王之渙", "白日依山盡，黃河入海流。\n欲窮千里目，更上一層樓。", "唐"),
    ("江雪", "柳宗元", "千山鳥飛絕，萬徑人蹤滅。\n孤舟蓑笠翁，獨釣寒江雪。", "唐"),
    ("水调歌头", "苏轼", "明月几时有，把酒问青天。不知天上宫阙，今夕是何年。", "宋"),
    ("月下獨酌", "李白", "花間一壺酒，獨酌無相親。舉杯邀明月，對影成三人。", "唐"),
];

fn poem(i: usize) -> Document {
    let (title, author, text, dynasty) = POEMS[i];
    Document {
        doc_id: format!("p{i}"),
        title: Some(title.into()),
        author: Some(author.into()),
        collection: Some(if dynasty == "宋" { "宋词" } else { "全唐詩" }.into()),
        dynasty: Some(dynasty.into()),
        text: text.into(),
        content_hash: format!("h{i}"),
        ..Document::default()
    }
}

fn era(doc_id: &str, year: i32) -> EntityRow {
    EntityRow {
        doc_id: doc_id.into(),
        kind: EntityKind::EraDate,
        text: String::new(),
        norm: format!("y{year}"),
        year: Some(year),
        start: 0,
        end: 1,
        confidence_ppm: 1_000_000,
        ambiguous: false,
    }
}

/// Writes `docs` into a fresh index of `shards` shards under `out`, all in epoch 1.
fn build(out: &Path, shards: usize, docs: &[Document], mentions: &[EntityRow]) -> IndexLayout {
    let layout = IndexLayout::open_or_create(out, shards, true).expect("layout");
    for s in 0..shards {
        let mut w = ShardWriter::open(&layout, s, "job").expect("open shard");
        let mine: Vec<(&Document, isize)> =
            docs.iter().filter(|d| layout.shard_of(&d.doc_id) == s).map(|d| (d, 1)).collect();
        let m: Vec<(&EntityRow, isize)> = mentions.iter().map(|m| (m, 1)).collect();
        w.apply(&mine, &m).expect("apply");
        w.commit(1).expect("commit");
        w.finish().expect("finish");
    }
    layout
}

fn ids(s: &ShardedSearcher, query: &str) -> Vec<String> {
    s.top_ids(&SearchRequest::new(query, 10)).expect("search").1.into_iter().map(|(_, id)| id).collect()
}

#[test]
fn a_line_finds_its_poem_in_either_script_and_filters_restrict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs: Vec<Document> = (0..POEMS.len()).map(poem).collect();
    build(dir.path(), 2, &docs, &[era("p1", 729), era("p3", 806)]);
    let s = ShardedSearcher::open(dir.path()).expect("open");
    assert_eq!((s.shards(), s.num_docs(), s.epoch()), (2, 6, Some(1)));

    assert_eq!(ids(&s, "舉頭望明月"), ["p0"]);
    assert_eq!(ids(&s, "举头望明月"), ["p0"], "simplified query, traditional text");
    assert_eq!(ids(&s, "明月几時有"), ["p4"], "traditional query, simplified text");
    assert_eq!(ids(&s, "疑是地上霜舉頭"), ["p0"], "across a line break and punctuation");
    assert_eq!(ids(&s, "明月 NOT 李白").len(), 1, "NOT excludes the author field too");
    assert_eq!(ids(&s, "\"明月\" AND 酒").len(), 2);
    assert!(ids(&s, "望月").is_empty());
    let (total, none) = s.top_ids(&SearchRequest::new("明月", 0)).expect("count only");
    assert_eq!((total, none.len()), (3, 0), "a limit of 0 counts the matches");
    let mut all = ids(&s, "明月");
    all.sort();
    assert_eq!(all, ["p0", "p4", "p5"]);

    let mut req = SearchRequest::new("明月", 10);
    req.filters.dynasty = Some("宋".into());
    assert_eq!(s.top_ids(&req).expect("search").1.into_iter().map(|(_, i)| i).collect::<Vec<_>>(), ["p4"]);
    req.filters.dynasty = None;
    req.filters.author = Some("李白".into());
    assert_eq!(s.top_ids(&req).expect("search").0, 2);
    req.filters.author = None;
    req.filters.collection = Some("全唐诗".into());
    assert_eq!(s.top_ids(&req).expect("search").0, 2, "simplified collection name, traditional stored");

    let mut req = SearchRequest::new("*", 10);
    req.filters.years = Some((Bound::Included(700), Bound::Included(800)));
    assert_eq!(s.top_ids(&req).expect("search").1.into_iter().map(|(_, i)| i).collect::<Vec<_>>(), ["p1"]);
    req.filters.years = Some(wenflow_index::parse_years("800..").expect("years"));
    assert_eq!(s.top_ids(&req).expect("search").1.into_iter().map(|(_, i)| i).collect::<Vec<_>>(), ["p3"]);
    req.filters.years = None;
    req.filters.entities = vec!["era_date".into()];
    assert_eq!(s.top_ids(&req).expect("search").0, 2);
    req.filters.entities = vec!["NOPE".into()];
    assert!(s.top_ids(&req).is_err(), "an unknown entity kind is an error");
    assert!(s.top_ids(&SearchRequest::new("title:(", 10)).is_err(), "a malformed query is an error");
    let empty = s.top_ids(&SearchRequest::new(" ", 10)).expect_err("an empty query is an error");
    assert!(empty.is_usage() && empty.to_string().contains("nothing to search for"), "{empty}");
}

#[test]
fn snippets_mark_the_matched_span() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs: Vec<Document> = (0..POEMS.len()).map(poem).collect();
    build(dir.path(), 1, &docs, &[]);
    let s = ShardedSearcher::open(dir.path()).expect("open");
    let r = s.search(&SearchRequest::new("举头望明月", 10)).expect("search");
    assert_eq!(r.total, 1);
    let hit = &r.hits[0];
    assert_eq!((hit.title.as_deref(), hit.author.as_deref()), (Some("靜夜思"), Some("李白")));
    assert!(hit.snippet.marked("[", "]").contains("[舉頭望明月]"), "{:?}", hit.snippet);
    let r = s.search(&SearchRequest::new("孟浩然", 10)).expect("search");
    assert_eq!(r.hits[0].doc_id, "p1", "an author query");
    assert!(r.hits[0].snippet.text.starts_with("春眠"), "no match in the text: its beginning");
}

/// The same documents in 1 and 3 shards score identically (statistics are global), and
/// equal scores come in the same order (20 copies of one poem, top 5 of them).
#[test]
fn scores_do_not_depend_on_the_number_of_shards() {
    let mut docs: Vec<Document> = (0..POEMS.len()).map(poem).collect();
    docs.extend((0..20).map(|i| Document { doc_id: format!("copy{i:02}"), ..poem(0) }));
    let one = tempfile::tempdir().expect("tempdir");
    let three = tempfile::tempdir().expect("tempdir");
    build(one.path(), 1, &docs, &[]);
    let layout = build(three.path(), 3, &docs, &[]);
    let used: std::collections::BTreeSet<usize> = docs.iter().map(|d| layout.shard_of(&d.doc_id)).collect();
    assert!(used.len() > 1, "the documents spread over several shards");
    let (a, b) = (ShardedSearcher::open(one.path()).expect("open"), ShardedSearcher::open(three.path()).expect("open"));
    for q in ["明月", "月", "李白", "酒 OR 江", "舉杯", "天", "低頭思故鄉"] {
        let (ta, ra) = a.top_ids(&SearchRequest::new(q, 5)).expect("search");
        let (tb, rb) = b.top_ids(&SearchRequest::new(q, 5)).expect("search");
        assert_eq!(ta, tb, "{q}");
        assert_eq!(ra, rb, "{q}: same scores and order");
        assert!(!ra.is_empty(), "{q}");
    }
}

#[test]
fn updates_replace_and_retractions_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = IndexLayout::open_or_create(dir.path(), 1, true).expect("layout");
    let mut w = ShardWriter::open(&layout, 0, "job").expect("open");
    let (a, b) = (poem(0), poem(1));
    w.apply(&[(&a, 1), (&b, 1)], &[]).expect("apply");
    w.commit(1).expect("commit");
    let mut a2 = a.clone();
    a2.text = "月落烏啼霜滿天".into();
    // An update of p0 and a deletion of p1 in one epoch.
    w.apply(&[(&a, -1), (&a2, 1), (&b, -1)], &[]).expect("apply");
    let before = ShardedSearcher::open(dir.path()).expect("open");
    assert_eq!(ids(&before, "舉頭望明月"), ["p0"], "nothing is visible before the commit");
    w.commit(2).expect("commit");
    let s = ShardedSearcher::open(dir.path()).expect("open");
    assert_eq!((s.num_docs(), s.epoch()), (1, Some(2)));
    assert!(ids(&s, "舉頭望明月").is_empty(), "the old version is gone");
    assert_eq!(ids(&s, "月落烏啼"), ["p0"], "the new version is found");
    assert!(ids(&s, "春眠不覺曉").is_empty(), "the deleted document is gone");
    drop(w);
    assert!(ShardWriter::open(&layout, 0, "another-job").is_err(), "another job's shard is refused");
}

/// A writer killed after it wrote an epoch's files and before `meta.json` named them
/// leaves those files behind. Delete files are named by segment and opstamp, so the same
/// epoch replayed after the restart writes the same name: the reopened writer must clear
/// what no commit names first (a continuous Kafka stream killed at random moments met this).
#[test]
fn an_epoch_interrupted_before_its_commit_is_written_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = IndexLayout::open_or_create(dir.path(), 1, true).expect("layout");
    let shard = layout.shard_dir(0);
    let (a, b) = (poem(0), poem(1));
    let mut w = ShardWriter::open(&layout, 0, "job").expect("open");
    w.apply(&[(&a, 1), (&b, 1)], &[]).expect("apply");
    w.commit(1).expect("commit");
    drop(w);
    let meta_at_1 = std::fs::read(shard.join("meta.json")).expect("meta.json");

    // Epoch 2 deletes p1. Its files are written, then its `meta.json` is lost, as when the
    // process dies between the two.
    let mut w = ShardWriter::open(&layout, 0, "job").expect("open");
    w.apply(&[(&b, -1)], &[]).expect("apply");
    w.commit(2).expect("commit");
    drop(w);
    let orphans: Vec<String> = std::fs::read_dir(&shard)
        .expect("shard dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".del"))
        .collect();
    assert_eq!(orphans.len(), 1, "epoch 2 wrote one delete file: {orphans:?}");
    std::fs::write(shard.join("meta.json"), &meta_at_1).expect("meta.json");

    let mut w = ShardWriter::open(&layout, 0, "job").expect("reopen after the crash");
    assert_eq!(w.committed(), Some(1));
    w.apply(&[(&b, -1)], &[]).expect("apply again");
    w.commit(2).expect("epoch 2 commits again over the files of its first try");
    w.finish().expect("finish");
    let s = ShardedSearcher::open(dir.path()).expect("open");
    assert_eq!((s.num_docs(), s.epoch()), (1, Some(2)));
    assert!(ids(&s, "春眠不覺曉").is_empty(), "the deletion holds");
    assert_eq!(ids(&s, "舉頭望明月"), ["p0"]);
}

#[test]
fn catch_up_replays_the_epochs_a_shard_lacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = IndexLayout::open_or_create(dir.path(), 2, true).expect("layout");
    // The "tables": epoch 1 inserts p0..p3, epoch 2 deletes p1 and updates p2, epoch 3 adds p4.
    let mut p2 = poem(2);
    p2.text = "黃河遠上白雲間".into();
    let epochs = [
        (1..4).map(|i| (poem(i), 1)).chain([(poem(0), 1)]).collect::<Vec<_>>(),
        vec![(poem(1), -1), (poem(2), -1), (p2, 1)],
        vec![(poem(4), 1)],
    ];
    let read = |e: u64| -> Result<EpochChanges, String> {
        let docs = epochs.get(e as usize - 1).cloned().ok_or_else(|| format!("no epoch {e}"))?;
        Ok(EpochChanges { docs, mentions: vec![(era("p4", 1079), 1)] })
    };
    // Shard 0 already holds epoch 1 (and the documents of epoch 1 routed to it).
    let mut w = ShardWriter::open(&layout, 0, "job").expect("open");
    let first: Vec<(Document, isize)> = read(1).expect("epoch 1").docs;
    let mine: Vec<(&Document, isize)> =
        first.iter().filter(|(d, _)| layout.shard_of(&d.doc_id) == 0).map(|(d, r)| (d, *r)).collect();
    w.apply(&mine, &[]).expect("apply");
    w.commit(1).expect("commit");
    drop(w);

    let done = catch_up(&layout, &[0, 1], "job", 1, Some(3), read).expect("catch up");
    assert_eq!(done.epochs, 3, "epoch 1 for shard 1, epochs 2 and 3 for both");
    let s = ShardedSearcher::open(dir.path()).expect("open");
    assert_eq!((s.num_docs(), s.epoch()), (4, Some(3)));
    assert!(ids(&s, "春眠不覺曉").is_empty());
    assert_eq!(ids(&s, "黃河遠上"), ["p2"]);
    assert_eq!(ids(&s, "明月几时有"), ["p4"]);
    let mut req = SearchRequest::new("*", 10);
    req.filters.years = Some((Bound::Included(1079), Bound::Included(1079)));
    assert_eq!(s.top_ids(&req).expect("search").0, 1, "the mentions of replayed documents are indexed");
    drop(s);

    let again = catch_up(&layout, &[0, 1], "job", 1, Some(3), read).expect("catch up");
    assert_eq!(again.epochs, 0, "nothing to replay twice");
    let err = catch_up(&layout, &[0, 1], "job", 1, Some(2), read).expect_err("the tables are behind");
    assert!(err.to_string().contains("delete the index directory"), "{err}");
}

#[test]
fn a_missing_index_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = ShardedSearcher::open(dir.path()).expect_err("no index");
    assert!(err.to_string().contains("run `wenflow ingest"), "{err}");
    // An index built with other tokens is refused, not searched with the wrong ones.
    build(dir.path(), 1, &[poem(0)], &[]);
    let manifest = dir.path().join("index/index.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace("\"analyzer_version\": 1", "\"analyzer_version\": 0")).expect("write");
    let err = ShardedSearcher::open(dir.path()).expect_err("another analyzer version");
    assert!(err.to_string().contains("rebuild it from the tables"), "{err}");
}
