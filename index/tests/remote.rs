//! The index in an object store: published with each commit and merge, pulled into an
//! empty cache, and garbage-collected one publish late. The store is object_store's
//! `LocalFileSystem` (a real backend of the same trait the S3 client implements); the S3
//! path itself is tested end to end against moto in `tests/e2e/s3.rs`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use wenflow_engine::Document;
use wenflow_index::shards::ShardWriter;
use wenflow_index::{IndexHome, IndexLayout, RemoteIndex, SearchRequest, ShardedSearcher};

fn doc(i: usize, text: &str) -> Document {
    Document { doc_id: format!("d{i}"), text: text.into(), content_hash: format!("h{i}"), ..Document::default() }
}

const LINES: [&str; 6] = [
    "床前明月光，疑是地上霜。",
    "春眠不覺曉，處處聞啼鳥。",
    "白日依山盡，黃河入海流。",
    "千山鳥飛絕，萬徑人蹤滅。",
    "明月几时有，把酒问青天。",
    "花間一壺酒，獨酌無相親。",
];

/// The files of shard 0 in the store.
fn stored(root: &Path) -> BTreeSet<String> {
    std::fs::read_dir(root.join("index/shard-0000"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

fn ids(s: &ShardedSearcher, query: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        s.top_ids(&SearchRequest::new(query, 10)).expect("search").1.into_iter().map(|(_, id)| id).collect();
    ids.sort();
    ids
}

/// A bucket folder under `dir`, and an index at `index/` in it, as a store's.
fn bucket_in(dir: &Path) -> (std::path::PathBuf, RemoteIndex) {
    let bucket = dir.join("bucket");
    std::fs::create_dir_all(&bucket).expect("mkdir");
    let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&bucket).expect("store"));
    (bucket, RemoteIndex::new(store, "file:///bucket/index"))
}

#[test]
fn a_shard_in_a_store_survives_the_loss_of_every_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bucket, remote) = bucket_in(dir.path());
    let home = |cache: &str| IndexHome::Remote { remote: remote.clone(), cache: dir.path().join(cache) };

    // Epochs 1 and 2 (2 deletes d0 and rewrites d1), each published on commit.
    let layout = IndexLayout::open_for_writing(&home("writer-a"), 1, true).expect("layout");
    let mut w = ShardWriter::open(&layout, 0, "job").expect("open");
    let first: Vec<Document> = (0..4).map(|i| doc(i, LINES[i])).collect();
    w.apply(&first.iter().map(|d| (d, 1)).collect::<Vec<_>>(), &[]).expect("apply");
    w.commit(1).expect("commit 1");
    let after_first = stored(&bucket);
    assert!(after_first.contains("meta.json") && after_first.len() > 3, "{after_first:?}");
    let second = [(doc(0, LINES[0]), -1), (doc(1, LINES[1]), -1), (doc(1, LINES[4]), 1), (doc(4, LINES[5]), 1)];
    w.apply(&second.iter().map(|(d, r)| (d, *r)).collect::<Vec<_>>(), &[]).expect("apply");
    w.commit(2).expect("commit 2");
    w.merge_all().expect("merge");
    w.finish().expect("finish");

    // A reader with an empty cache sees epoch 2, as the writer's own folder does.
    let pulled = IndexLayout::pull_for_reading(&remote, &dir.path().join("reader")).expect("pull");
    let (theirs, ours) = (ShardedSearcher::open(&pulled.dir).expect("open"), ShardedSearcher::open(&layout.dir));
    let ours = ours.expect("open");
    assert_eq!((theirs.num_docs(), theirs.epoch()), (4, Some(2)));
    for query in ["明月", "春眠", "把酒", "獨酌", "黃河"] {
        assert_eq!(ids(&theirs, query), ids(&ours, query), "{query}");
    }
    assert_eq!(ids(&theirs, "明月"), ["d1"], "d0 deleted, d1 rewritten to the Song line");

    // The writer's cache is lost: a new writer starts from the store at epoch 2, goes on,
    // and the files the merge replaced leave the store one publish after they went out of use.
    std::fs::remove_dir_all(dir.path().join("writer-a")).expect("lose the cache");
    let layout = IndexLayout::open_for_writing(&home("writer-b"), 1, true).expect("layout");
    let mut w = ShardWriter::open(&layout, 0, "job").expect("reopen");
    assert_eq!(w.committed(), Some(2));
    assert!(ShardWriter::open(&layout, 0, "another job").is_err(), "another job's shard is refused");
    let third = [(doc(5, LINES[2]), 1)];
    w.apply(&third.iter().map(|(d, r)| (d, *r)).collect::<Vec<_>>(), &[]).expect("apply");
    w.commit(3).expect("commit 3");
    w.apply::<&Document>(&[], &[]).expect("apply nothing");
    w.commit(4).expect("commit 4");
    w.finish().expect("finish");
    let now = stored(&bucket);
    let gone: Vec<&String> = after_first.iter().filter(|f| *f != "meta.json" && now.contains(*f)).collect();
    assert!(gone.is_empty(), "epoch 1's segments, merged away, are deleted from the store: {gone:?}");

    let again = IndexLayout::pull_for_reading(&remote, &dir.path().join("reader")).expect("pull again");
    let s = ShardedSearcher::open(&again.dir).expect("open");
    assert_eq!((s.num_docs(), s.epoch()), (5, Some(4)));
    assert_eq!(ids(&s, "黃河"), ["d2", "d5"]);
    let cached: BTreeSet<String> = std::fs::read_dir(again.shard_dir(0))
        .expect("cache")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert!(cached.is_subset(&stored(&bucket)), "the reader's cache holds only what the store holds: {cached:?}");
}

/// Shards publish on their own first commit: a reader that comes after the manifest but
/// before one shard's first commit reads that shard as empty, and the published one whole.
#[test]
fn a_shard_not_yet_published_reads_as_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, remote) = bucket_in(dir.path());
    let home = IndexHome::Remote { remote: remote.clone(), cache: dir.path().join("writer") };
    let layout = IndexLayout::open_for_writing(&home, 2, true).expect("layout");

    // Only the manifest: both shards read as empty.
    let pulled = IndexLayout::pull_for_reading(&remote, &dir.path().join("reader")).expect("pull");
    let s = ShardedSearcher::open(&pulled.dir).expect("open before any commit");
    assert_eq!((s.shards(), s.num_docs(), s.epoch()), (2, 0, None));

    // Shard 0 commits; shard 1 has not yet.
    let mut w = ShardWriter::open(&layout, 0, "job").expect("open");
    let docs: Vec<Document> = (0..3).map(|i| doc(i, LINES[i])).collect();
    w.apply(&docs.iter().map(|d| (d, 1)).collect::<Vec<_>>(), &[]).expect("apply");
    w.commit(1).expect("commit");
    let pulled = IndexLayout::pull_for_reading(&remote, &dir.path().join("reader")).expect("pull");
    let s = ShardedSearcher::open(&pulled.dir).expect("open with one shard published");
    assert_eq!((s.num_docs(), s.epoch()), (3, None), "shard 1 is at no epoch yet");
    assert_eq!(ids(&s, "明月"), ["d0"]);

    // Shard 1 commits: the empty stand-in gives way to the published shard.
    let mut w1 = ShardWriter::open(&layout, 1, "job").expect("open");
    let more = [doc(3, LINES[3]), doc(4, LINES[4])];
    w1.apply(&more.iter().map(|d| (d, 1)).collect::<Vec<_>>(), &[]).expect("apply");
    w1.commit(1).expect("commit");
    let pulled = IndexLayout::pull_for_reading(&remote, &dir.path().join("reader")).expect("pull");
    let s = ShardedSearcher::open(&pulled.dir).expect("open");
    assert_eq!((s.num_docs(), s.epoch()), (5, Some(1)));
    assert_eq!(ids(&s, "明月"), ["d0", "d4"]);
}
