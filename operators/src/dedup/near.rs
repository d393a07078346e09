//! Exact and near duplicates as one incremental differential computation.
//!
//! ```text
//! documents ─► sketch (doc key, doc_id, content, Han text or signature), shared ─► by doc key ──┐
//!                ├─► band keys ─► LSH buckets ([`lsh`](super::lsh)): member → hub ─┐             │
//!                └─► content groups (the same operator, no cap): member → hub ────┤             │
//!                              candidate links ─► both sketches: same content, or similar ◄────┘
//!                                └─► edges (both directions)
//!                                     └─► min-label propagation (iterate) ─► (doc, cluster)
//!                                            └─► per cluster: kind and similarity ─► rows
//! ```
//!
//! A bucket never produces all its pairs: its members are ranked by a hash of their key
//! seeded with the bucket, the first is the bucket's hub and each of the next members is
//! linked to it ([`bucket_links`]); a document meets different hubs in different bands. A
//! link stands only if the two documents' similarity reaches the threshold: the exact
//! Jaccard of their character n-gram sets by default (the operator keeps each document's
//! Han characters), or the estimate from their signatures with `Verify::Estimate` (it
//! keeps the signatures). Buckets with more members than `max_bucket` link only the first
//! `max_bucket` and are reported. Documents with the same content hash are linked the same
//! way, in buckets keyed by the content hash and never capped, and those links stand by
//! the content alone.
//! Every stage after the sketches holds a pointer to the one sketch of a document, not a
//! copy of its text. Clusters are the connected components of the verified links, found
//! by iterating "my label is the smallest label among me and my neighbours" to a fixed
//! point; because the fixed
//! point is recomputed from the current links at every epoch (differential's iterate), a
//! deletion that cuts a cluster splits it. Every stage consumes and produces diffs.

use std::borrow::Borrow;
use std::sync::Arc;

use differential_dataflow::VecCollection;
use differential_dataflow::operators::Iterate;
use serde::{Deserialize, Serialize};
use wenflow_engine::{Document, DuplicateKind, DuplicateRow, Epoch, Shared};

use super::lsh::{BucketKey, DocKey, lsh_links};
use super::minhash::{MinHashConfig, MinHasher, estimated_jaccard, exact_jaccard_of_chars, normalized_chars};

/// How a candidate link is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verify {
    /// The exact Jaccard similarity of the two n-gram sets. The operator keeps each
    /// document's Han characters (about 3 bytes a character).
    Exact,
    /// The Jaccard similarity estimated from the two signatures (standard error up to
    /// 0.05 at 112 positions). The operator keeps each signature (4 bytes a
    /// position), less than the text for documents over ~150 characters.
    Estimate,
}

impl Verify {
    /// Parses `exact` or `estimate`.
    pub fn parse(s: &str) -> crate::Result<Self> {
        match s {
            "exact" => Ok(Verify::Exact),
            "estimate" => Ok(Verify::Estimate),
            other => Err(crate::OperatorError::InvalidOption {
                name: "near-verify",
                message: format!("{other:?} is not one of exact, estimate"),
            }),
        }
    }
}

/// Options of duplicate detection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DedupConfig {
    /// Find near duplicates too; off leaves the exact duplicates only.
    pub near: bool,
    /// Signatures and banding.
    pub minhash: MinHashConfig,
    /// The Jaccard similarity a candidate link needs to stand.
    pub threshold: f64,
    /// Exact or estimated similarity for verification and for the `similarity` column.
    pub verify: Verify,
    /// Members of one LSH bucket that are linked to its hub; larger buckets are capped and
    /// reported.
    pub max_bucket: usize,
}

impl DedupConfig {
    /// Checks that the options make sense together.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |name: &'static str, message: String| Err(crate::OperatorError::InvalidOption { name, message });
        let m = &self.minhash;
        if m.ngram == 0 || m.ngram > 32 {
            return bad("near-ngram", format!("{} is not between 1 and 32", m.ngram));
        }
        if m.bands == 0 || m.rows == 0 || m.permutations() > 1_024 {
            return bad(
                "near-bands",
                format!(
                    "{} bands of {} rows: each needs at least 1, at most 1,024 permutations in all",
                    m.bands, m.rows
                ),
            );
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return bad("near-threshold", format!("{} is not in (0, 1]", self.threshold));
        }
        if self.max_bucket < 2 {
            return bad("near-max-bucket", format!("{} links nothing: use at least 2", self.max_bucket));
        }
        Ok(())
    }
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            near: true,
            minhash: MinHashConfig::default(),
            threshold: 0.8,
            verify: Verify::Exact,
            max_bucket: 1_000,
        }
    }
}

/// What near-duplicate detection keeps of a document, for as long as the document lives:
/// one allocation for the record (64 bytes with its counts), one for the id and one for the
/// text or signature.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sketch {
    /// The document; shared by the links and labels that name it.
    pub doc_id: Shared<str>,
    /// Hash of its content hash: equal for identical texts.
    pub content: u64,
    /// The text or the signature, whichever verification compares.
    pub kept: Kept,
}

/// What a [`Sketch`] keeps to verify a candidate link: one of the two, so that the record
/// holds one pointer, not two.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kept {
    /// The Han characters of the text in UTF-16 (exact verification): two bytes a
    /// character where UTF-8 takes three (a character outside the Basic Multilingual Plane
    /// takes four either way).
    Han(Box<[u16]>),
    /// The MinHash signature (verification by estimate); empty for a text without Han
    /// characters.
    Signature(Box<[u32]>),
}

impl Sketch {
    /// The sketch of document `doc_id` with content hash `content`, keeping the characters
    /// `han` when there are any, else `sig` (either may be empty).
    pub fn new(doc_id: &str, content: u64, sig: Vec<u32>, han: &[char]) -> Sketch {
        let kept = if han.is_empty() {
            Kept::Signature(sig.into_boxed_slice())
        } else {
            let mut utf16 = Vec::with_capacity(han.iter().map(|c| c.len_utf16()).sum());
            let mut buf = [0u16; 2];
            for c in han {
                utf16.extend_from_slice(c.encode_utf16(&mut buf));
            }
            Kept::Han(utf16.into_boxed_slice())
        };
        Sketch { doc_id: Shared::from(doc_id), content, kept }
    }

    /// The kept Han characters in UTF-16, if any.
    fn han(&self) -> &[u16] {
        match &self.kept {
            Kept::Han(han) => han,
            Kept::Signature(_) => &[],
        }
    }

    /// The kept signature, if any.
    fn sig(&self) -> &[u32] {
        match &self.kept {
            Kept::Signature(sig) => sig,
            Kept::Han(_) => &[],
        }
    }

    /// The kept Han characters.
    fn han_chars(&self) -> Vec<char> {
        char::decode_utf16(self.han().iter().copied()).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
    }

    /// Whether the document has Han characters to compare.
    pub fn comparable(&self) -> bool {
        !self.sig().is_empty() || !self.han().is_empty()
    }

    /// Similarity of two documents: the exact n-gram Jaccard when both keep their
    /// characters, else the estimate from their signatures.
    pub fn similarity(&self, other: &Sketch, ngram: usize) -> f64 {
        if !self.han().is_empty() && !other.han().is_empty() {
            exact_jaccard_of_chars(&self.han_chars(), &other.han_chars(), ngram)
        } else {
            estimated_jaccard(self.sig(), other.sig())
        }
    }
}

fn doc_key(doc_id: &str) -> DocKey {
    fold(xxhash_rust::xxh3::xxh3_64(doc_id.as_bytes()))
}

fn fold(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// Pure core of one LSH bucket: the candidate links `(member, hub)`, at most `cap − 1`.
/// Members are ranked by a hash of their key seeded with the bucket, the first is the hub
/// and the next `cap − 1` link to it. Seeding with the bucket gives a document different
/// hubs in different bands, so one dissimilar hub does not cost it every link. Returns also
/// whether the bucket was capped.
pub fn bucket_links(bucket: BucketKey, members: &[DocKey], cap: usize) -> (Vec<(DocKey, DocKey)>, bool) {
    let mut ranked: Vec<(u64, DocKey)> =
        members.iter().map(|&m| (xxhash_rust::xxh3::xxh3_64_with_seed(&m.to_le_bytes(), bucket), m)).collect();
    ranked.sort_unstable();
    let Some(&(_, hub)) = ranked.first() else { return (Vec::new(), false) };
    let links = ranked.iter().take(cap.max(1)).skip(1).map(|&(_, m)| (m, hub)).collect();
    (links, members.len() > cap)
}

/// Pure core of one cluster: the rows for its members, given the representative's
/// `doc_id` (the smallest). A member identical to the representative is `exact` with
/// similarity 1; others are `near` with their [`Sketch::similarity`] to it. The
/// representative is `exact` when another member is identical to it, else `near`.
pub fn cluster_rows(rep: &str, members: &[&Sketch], ngram: usize) -> Vec<DuplicateRow> {
    let Some(r) = members.iter().find(|s| &*s.doc_id == rep) else { return Vec::new() };
    let twins = members.iter().filter(|s| s.content == r.content).count();
    members
        .iter()
        .map(|s| {
            let exact = s.content == r.content && (&*s.doc_id != rep || twins > 1);
            let similarity = if s.content == r.content { 1.0 } else { s.similarity(r, ngram) };
            DuplicateRow {
                doc_id: s.doc_id.to_string(),
                cluster_id: rep.to_string(),
                kind: if exact { DuplicateKind::Exact } else { DuplicateKind::Near },
                similarity_ppm: (similarity * 1e6).round() as u32,
            }
        })
        .collect()
}

/// Rows of the `duplicates` table: exact duplicates (same content hash) and, when
/// `config.near` is on, near duplicates (verified MinHash/LSH links), merged into connected
/// components. The cluster id is the smallest `doc_id` of the component.
pub fn duplicates<'s, D>(
    docs: VecCollection<'s, Epoch, D>,
    config: Arc<DedupConfig>,
) -> VecCollection<'s, Epoch, DuplicateRow>
where
    D: Borrow<Document> + Clone + 'static,
{
    if !config.near {
        return super::exact_duplicates(docs);
    }
    let (h, verify) = (MinHasher::new(config.minhash), config.verify);
    let prepared = docs.map(move |d| {
        let d: &Document = d.borrow();
        let text = d.text_simplified.as_deref().unwrap_or(&d.text);
        let chars = normalized_chars(text);
        let sig = h.signature_of_chars(&chars).unwrap_or_default();
        // Shared: the stream goes to three consumers, and only one reads the bands.
        let bands = Shared::new(h.band_keys(&sig));
        let sketch = Sketch::new(
            &d.doc_id,
            xxhash_rust::xxh3::xxh3_64(d.content_hash.as_bytes()),
            if verify == Verify::Estimate { sig } else { Vec::new() },
            if verify == Verify::Exact { &chars } else { &[] },
        );
        (doc_key(&d.doc_id), Shared::new(sketch), bands)
    });
    // Each sketch is kept once, here; every later stage holds a pointer to it.
    let by_key = prepared.clone().map(|(key, sketch, _)| (key, sketch)).arrange_by_key_named("Sketches");

    // Exact duplicates: the members of each content hash linked to one of them, by key,
    // in the buckets of the LSH operator with content hashes for keys and no cap. A key
    // held by two identical documents links to itself, so that the join below pairs them.
    let exact = lsh_links(prepared.clone().map(|(key, sketch, _)| (sketch.content, key)), usize::MAX, "ExactGroups");

    let bands = prepared.flat_map(|(key, _, bands)| (0..bands.len()).map(move |i| (bands[i], key)));
    let candidates = lsh_links(bands, config.max_bucket, "LshBuckets");

    // A candidate or exact link stands between two documents (not two that merely share a
    // key) with equal content or a similarity that reaches the threshold.
    let (threshold, ngram) = (config.threshold, config.minhash.ngram);
    let links = candidates.concat(exact);
    let verified = links
        .join_core(by_key.clone(), |_member, hub, s: &Shared<Sketch>| Some((*hub, s.clone())))
        .join_core(by_key.clone(), move |_hub, m: &Shared<Sketch>, h: &Shared<Sketch>| {
            let linked = m.content == h.content || (m.comparable() && m.similarity(h, ngram) >= threshold);
            (m.doc_id != h.doc_id && linked).then(|| (m.doc_id.clone(), h.doc_id.clone()))
        });

    let edges = verified.flat_map(|(a, b)| [(a.clone(), b.clone()), (b, a)]).distinct();
    let labels = components(edges);

    labels
        .map(|(doc, rep)| (doc_key(&doc), (doc, rep)))
        .join_core(by_key, |_key, (doc, rep): &(Shared<str>, Shared<str>), s: &Shared<Sketch>| {
            (s.doc_id == *doc).then(|| (rep.clone(), s.clone()))
        })
        .reduce_named(
            "Clusters",
            move |rep: &Shared<str>, input: &[(&Shared<Sketch>, isize)], output: &mut Vec<(DuplicateRow, isize)>| {
                let members: Vec<&Sketch> = input.iter().filter(|(_, n)| *n > 0).map(|(s, _)| &***s).collect();
                output.extend(cluster_rows(rep, &members, ngram).into_iter().map(|r| (r, 1)));
            },
        )
        .map(|(_, row)| row)
}

/// Connected components of an undirected graph given as edges in both directions: each
/// node with its component's smallest node.
pub fn components<'s, N>(edges: VecCollection<'s, Epoch, (N, N)>) -> VecCollection<'s, Epoch, (N, N)>
where
    N: differential_dataflow::ExchangeData + std::hash::Hash,
{
    let nodes = edges.clone().map(|(a, _)| (a.clone(), a)).distinct();
    nodes.clone().iterate(|scope, labels| {
        let edges = edges.enter(scope);
        let nodes = nodes.enter(scope);
        labels.join_map(edges, |_node, label, neighbour| (neighbour.clone(), label.clone())).concat(nodes).reduce_named(
            "MinLabel",
            |_node, input: &[(&N, isize)], output: &mut Vec<(N, isize)>| {
                if let Some((label, _)) = input.iter().find(|(_, n)| *n > 0) {
                    output.push(((*label).clone(), 1));
                }
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use differential_dataflow::input::Input;
    use timely::dataflow::operators::Probe;

    use super::*;
    use crate::testing::{Ops, XorShift, oracle};

    /// Random Han characters from the first 3,000 of the block: unrelated texts share few
    /// n-grams.
    fn random_han(rng: &mut XorShift, len: usize) -> Vec<char> {
        (0..len).map(|_| char::from_u32(0x4E00 + rng.below(3_000) as u32).unwrap_or('一')).collect()
    }

    fn doc(doc_id: String, text: String) -> Document {
        let content_hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
        Document { doc_id, text, content_hash, ..Document::default() }
    }

    /// Brute force over every pair of live documents: linked when identical or when the
    /// exact Jaccard of their n-gram sets reaches the threshold; clusters are the connected
    /// components, rows as the operator writes them.
    fn brute_force(live: &BTreeMap<String, Document>, config: &DedupConfig) -> BTreeSet<DuplicateRow> {
        let hasher = MinHasher::new(config.minhash);
        let docs: Vec<&Document> = live.values().collect();
        let grams: Vec<BTreeSet<String>> = docs
            .iter()
            .map(|d| {
                let chars: Vec<char> = d.text.chars().filter(|&c| crate::clean::is_han(c)).collect();
                let n = config.minhash.ngram.min(chars.len()).max(1);
                chars.windows(n).map(|g| g.iter().collect()).collect()
            })
            .collect();
        let mut label: Vec<usize> = (0..docs.len()).collect();
        fn find(label: &mut [usize], i: usize) -> usize {
            let mut r = i;
            while label[r] != r {
                r = label[r];
            }
            label[i] = r;
            r
        }
        for i in 0..docs.len() {
            for j in i + 1..docs.len() {
                let jaccard = || {
                    let shared = grams[i].intersection(&grams[j]).count();
                    shared as f64 / (grams[i].len() + grams[j].len() - shared) as f64
                };
                let linked = docs[i].content_hash == docs[j].content_hash
                    || (!grams[i].is_empty() && jaccard() >= config.threshold);
                if linked {
                    let (ri, rj) = (find(&mut label, i), find(&mut label, j));
                    label[ri.max(rj)] = ri.min(rj);
                }
            }
        }
        let mut clusters: BTreeMap<usize, Vec<Sketch>> = BTreeMap::new();
        for (i, d) in docs.iter().enumerate() {
            let exact = config.verify == Verify::Exact;
            let chars = if exact { normalized_chars(&d.text) } else { Vec::new() };
            let sketch = Sketch::new(
                &d.doc_id,
                xxhash_rust::xxh3::xxh3_64(d.content_hash.as_bytes()),
                if exact { Vec::new() } else { hasher.signature(&d.text).unwrap_or_default() },
                &chars,
            );
            clusters.entry(find(&mut label, i)).or_default().push(sketch);
        }
        clusters
            .values()
            .filter(|members| members.len() > 1)
            .flat_map(|members| {
                let rep = members.iter().map(|s| &*s.doc_id).min().unwrap_or_default();
                cluster_rows(rep, &members.iter().collect::<Vec<_>>(), config.minhash.ngram)
            })
            .collect()
    }

    /// The documents of the oracle test: five base texts of 200–260 characters, and per
    /// document one of: an identical copy, a copy with one character replaced, a copy with
    /// half its characters replaced, an unrelated text, a text without Han characters (two
    /// variants, so exact duplicates without signatures occur), or three characters from a
    /// six-character alphabet.
    fn make_doc(bases: &[Vec<char>], doc_id: String, rng: &mut XorShift) -> Document {
        let base = &bases[rng.below(bases.len() as u64) as usize];
        let text: String = match rng.below(8) {
            0 | 1 => base.iter().collect(),
            2..=4 => {
                let mut t = base.clone();
                let i = rng.below(t.len() as u64) as usize;
                t[i] = random_han(rng, 1)[0];
                t.into_iter().collect()
            }
            5 => {
                let mut t = base.clone();
                for c in t.iter_mut() {
                    if rng.below(2) == 0 {
                        *c = random_han(rng, 1)[0];
                    }
                }
                t.into_iter().collect()
            }
            6 => {
                let len = 200 + rng.below(60) as usize;
                random_han(rng, len).into_iter().collect()
            }
            _ => match rng.below(3) {
                0 => format!("no han here {}", rng.below(2)),
                _ => (0..3).map(|_| ['天', '地', '玄', '黃', '宇', '宙'][rng.below(6) as usize]).collect(),
            },
        };
        doc(doc_id, text)
    }

    fn bases() -> Vec<Vec<char>> {
        let mut rng = XorShift::new(0xBA5E);
        (0..5)
            .map(|_| {
                let len = 200 + rng.below(60) as usize;
                random_han(&mut rng, len)
            })
            .collect()
    }

    /// Oracle test: random inserts, updates and deletes; after every epoch the accumulated
    /// output equals the brute-force clusters over the live documents.
    ///
    /// Tolerance: none, and why that is sound. Verification is exact (the default), so
    /// the only way to differ from brute force is a similar pair that shares no LSH band,
    /// and a false link is impossible. The generator keeps every pair identical, similar
    /// (at most one changed character per copy of a 200–260 character text: J ≥ 0.90 for
    /// every n ≤ 5) or far apart (half the characters replaced, or unrelated: J ≤ 0.3).
    /// At J = 0.90 the 20 × 6 banding misses a pair with probability (1 − 0.9⁶)^20 ≈ 10⁻⁸.
    /// The hashes are seeded, so the run is deterministic. It exercises hubs leaving their
    /// buckets, clusters merging and splitting on updates and deletes, exact duplicates
    /// without Han characters, and tiny texts.
    #[test]
    fn incremental_clusters_match_brute_force() {
        let ops = Ops { epochs: 20, ids: 40, max_ops: 8, insert_odds: 5, seed: 0x00C0_FFEE_D00D };
        let bases = Arc::new(bases());
        let b = bases.clone();
        oracle(
            ops,
            |docs| duplicates(docs, Arc::new(DedupConfig::default())),
            move |doc_id, rng| make_doc(&b, doc_id, rng),
            |live| brute_force(live, &DedupConfig::default()),
        );
    }

    /// The same with verification by the signatures' estimate and 5-grams: the estimate at
    /// J ≥ 0.90 has a standard error below 0.03, so it is 3.5 standard errors above the
    /// threshold (a false rejection ≈ 2·10⁻⁴ per pair); a pair at J ≤ 0.3 would need an
    /// estimate 9 standard errors off to pass.
    #[test]
    fn incremental_clusters_match_brute_force_with_estimates() {
        fn config() -> DedupConfig {
            DedupConfig {
                verify: Verify::Estimate,
                minhash: MinHashConfig { ngram: 5, ..MinHashConfig::default() },
                ..DedupConfig::default()
            }
        }
        let ops = Ops { epochs: 20, ids: 40, max_ops: 8, insert_odds: 5, seed: 0x0BAD_5EED };
        let bases = Arc::new(bases());
        let b = bases.clone();
        oracle(
            ops,
            |docs| duplicates(docs, Arc::new(config())),
            move |doc_id, rng| make_doc(&b, doc_id, rng),
            |live| brute_force(live, &config()),
        );
    }

    /// Runs the operator once over `docs` and returns its rows.
    fn run_batch(docs: Vec<Document>, config: DedupConfig) -> Vec<DuplicateRow> {
        let rows: Arc<std::sync::Mutex<BTreeMap<DuplicateRow, isize>>> = Arc::default();
        let sink = rows.clone();
        timely::execute_directly(move |worker| {
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, docs) = scope.new_collection::<Document, isize>();
                let (probe, _) = duplicates(docs, Arc::new(config))
                    .inspect(move |(row, _, diff)| *sink.lock().expect("lock").entry(row.clone()).or_default() += diff)
                    .inner
                    .probe();
                (input, probe)
            });
            docs.into_iter().for_each(|d| input.insert(d));
            input.advance_to(1);
            input.flush();
            worker.step_while(|| probe.less_than(&1));
        });
        let rows = rows.lock().expect("lock");
        rows.iter().filter(|(_, d)| **d > 0).map(|(r, _)| r.clone()).collect()
    }

    /// Ids whose keys collide (32 bits: found by a birthday search) do not lose or gain
    /// links: two identical documents sharing a key are one exact cluster, a third with the
    /// same key and another text stays out, and a copy of it under another id joins it; the two
    /// alone are a cluster too.
    /// Also with verification by estimate, and without Han characters (no signature).
    #[test]
    fn documents_whose_keys_collide_are_still_told_apart() {
        let mut seen: std::collections::HashMap<DocKey, String> = std::collections::HashMap::new();
        let mut pairs = Vec::new();
        for i in 0.. {
            let id = format!("doc-{i}");
            if let Some(other) = seen.insert(doc_key(&id), id.clone()) {
                pairs.push((other, id));
                if pairs.len() == 2 {
                    break;
                }
            }
        }
        let mut rng = XorShift::new(99);
        let a: String = random_han(&mut rng, 80).into_iter().collect();
        let b: String = random_han(&mut rng, 80).into_iter().collect();
        for text in [a, "plain latin text, no han".to_string()] {
            let docs = [
                doc(pairs[0].0.clone(), text.clone()),
                doc(pairs[0].1.clone(), text.clone()),
                doc(pairs[1].0.clone(), b.clone()),
                doc(pairs[1].1.clone(), text.clone()),
                doc("copy-of-b".into(), b.clone()),
            ];
            let configs = [DedupConfig::default(), DedupConfig { verify: Verify::Estimate, ..DedupConfig::default() }];
            for (set, rows) in [(&docs[..], 5), (&docs[..2], 2)] {
                for config in configs.clone() {
                    let live: BTreeMap<String, Document> = set.iter().map(|d| (d.doc_id.clone(), d.clone())).collect();
                    let expected = brute_force(&live, &config);
                    assert_eq!(expected.len(), rows, "{expected:?}");
                    let got: BTreeSet<DuplicateRow> = run_batch(set.to_vec(), config).into_iter().collect();
                    assert_eq!(got, expected);
                }
            }
        }
    }

    /// The pairs of documents that share a cluster.
    fn together(rows: &[DuplicateRow]) -> BTreeSet<(String, String)> {
        let mut clusters: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in rows {
            clusters.entry(&r.cluster_id).or_default().push(&r.doc_id);
        }
        let mut pairs = BTreeSet::new();
        for members in clusters.values() {
            for (i, a) in members.iter().enumerate() {
                for b in &members[i + 1..] {
                    pairs.insert((a.min(b).to_string(), a.max(b).to_string()));
                }
            }
        }
        pairs
    }

    /// Accuracy where LSH is probabilistic: copies of 40 texts with up to one edit in twelve
    /// characters spread the pairs' Jaccard similarity across the threshold. Against the
    /// brute-force clusters of the exact Jaccard, the pairs the operator puts together must
    /// have precision and recall ≥ 0.95 (ARCHITECTURE §4). Errors come from pairs within
    /// a few hundredths of the threshold, where the 112-permutation estimate (standard
    /// error ≈ 0.04) decides either way, and from pairs the banding misses.
    #[test]
    fn pairs_near_the_threshold_are_found_with_high_precision_and_recall() {
        let config = DedupConfig::default();
        let mut rng = XorShift::new(0x5EED_0F11);
        let mut docs = Vec::new();
        for base in 0..40 {
            let len = 60 + rng.below(240) as usize;
            let text = random_han(&mut rng, len);
            for copy in 0..8 {
                let mut t = text.clone();
                for _ in 0..rng.below(len as u64 / 12 + 1) {
                    let i = rng.below(len as u64) as usize;
                    t[i] = random_han(&mut rng, 1)[0];
                }
                docs.push(doc(format!("b{base:02}c{copy}"), t.into_iter().collect()));
            }
        }
        let live: BTreeMap<String, Document> = docs.iter().map(|d| (d.doc_id.clone(), d.clone())).collect();
        let expected = together(&brute_force(&live, &config).into_iter().collect::<Vec<_>>());
        let got = together(&run_batch(docs, config));
        let both = got.intersection(&expected).count() as f64;
        let (precision, recall) = (both / got.len() as f64, both / expected.len() as f64);
        eprintln!(
            "pairs together: expected {}, found {}, precision {precision:.3}, recall {recall:.3}",
            expected.len(),
            got.len()
        );
        assert!(expected.len() > 200, "the set has near-duplicate pairs");
        assert!(precision >= 0.95 && recall >= 0.95, "precision {precision:.3}, recall {recall:.3}");
    }

    /// A deletion that removes the only path between two halves splits the cluster; its
    /// reinsertion joins them again.
    #[test]
    fn deleting_a_bridge_splits_a_component() {
        let result: Arc<std::sync::Mutex<BTreeMap<(String, String), isize>>> = Arc::default();
        let out = result.clone();
        timely::execute_directly(move |worker| {
            let sink = out.clone();
            let (mut edges, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, edges) = scope.new_collection::<(String, String), isize>();
                let (probe, _) = components(edges)
                    .inspect(move |(row, _, diff)| *sink.lock().expect("lock").entry(row.clone()).or_default() += diff)
                    .inner
                    .probe();
                (input, probe)
            });
            let both = |a: &str, b: &str| [(a.to_string(), b.to_string()), (b.to_string(), a.to_string())];
            let mut step = |edges: &mut differential_dataflow::input::InputSession<u64, (String, String), isize>,
                            epoch: u64| {
                edges.advance_to(epoch);
                edges.flush();
                worker.step_while(|| probe.less_than(&epoch));
            };
            for (a, b) in [("a", "b"), ("b", "c"), ("c", "d"), ("x", "d")] {
                both(a, b).into_iter().for_each(|e| edges.update(e, 1));
            }
            step(&mut edges, 1);
            let labels = |m: &BTreeMap<(String, String), isize>| -> BTreeSet<(String, String)> {
                m.iter().filter(|(_, d)| **d > 0).map(|(k, _)| k.clone()).collect()
            };
            let pairs = |v: &[(&str, &str)]| -> BTreeSet<(String, String)> {
                v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
            };
            assert_eq!(
                labels(&out.lock().expect("lock")),
                pairs(&[("a", "a"), ("b", "a"), ("c", "a"), ("d", "a"), ("x", "a")])
            );
            both("b", "c").into_iter().for_each(|e| edges.update(e, -1));
            step(&mut edges, 2);
            assert_eq!(
                labels(&out.lock().expect("lock")),
                pairs(&[("a", "a"), ("b", "a"), ("c", "c"), ("d", "c"), ("x", "c")])
            );
            both("a", "x").into_iter().for_each(|e| edges.update(e, 1));
            step(&mut edges, 3);
            assert_eq!(
                labels(&out.lock().expect("lock")),
                pairs(&[("a", "a"), ("b", "a"), ("c", "a"), ("d", "a"), ("x", "a")])
            );
        });
        assert!(result.lock().expect("lock").values().all(|d| *d == 0 || *d == 1));
    }

    /// The kept characters, in UTF-16, compare as the text does, characters outside the
    /// Basic Multilingual Plane (Extension B) included.
    #[test]
    fn kept_characters_compare_as_the_text() {
        let (a, b) = ("𠀀𠀁天地玄黃宇宙洪荒𪚥日月盈昃", "𠀀𠀁天地玄黄宇宙洪荒𪚥日月盈昃辰宿");
        let sketch = |t: &str| Sketch::new("d", 0, Vec::new(), &normalized_chars(t));
        let (sa, sb) = (sketch(a), sketch(b));
        assert_eq!(sa.han_chars(), normalized_chars(a));
        assert_eq!(sa.han().len(), normalized_chars(a).len() + 3, "three characters take two units");
        for n in 1..=3 {
            assert_eq!(sa.similarity(&sb, n), super::super::minhash::exact_jaccard(a, b, n), "n = {n}");
        }
    }

    /// A sketch record is 48 bytes, 64 with the counts of its `Arc`: one of mimalloc's size
    /// classes (a record of 56 bytes, with two pointers for the text and the signature,
    /// took 80), and there is one per live document.
    #[test]
    fn a_sketch_record_is_six_words() {
        assert_eq!(std::mem::size_of::<Sketch>(), 48);
    }

    fn sketch(id: &str, content: u64, sig: &[u32]) -> Sketch {
        Sketch::new(id, content, sig.to_vec(), &[])
    }

    #[test]
    fn options_are_checked() {
        assert!(DedupConfig::default().validate().is_ok());
        assert_eq!(Verify::parse("estimate").ok(), Some(Verify::Estimate));
        assert!(Verify::parse("exactly").is_err());
        let with = |f: fn(&mut DedupConfig)| {
            let mut c = DedupConfig::default();
            f(&mut c);
            c.validate().err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(with(|c| c.threshold = 0.0).contains("near-threshold"));
        assert!(with(|c| c.threshold = 1.5).contains("near-threshold"));
        assert!(with(|c| c.minhash.ngram = 0).contains("near-ngram"));
        assert!(with(|c| c.minhash.rows = 0).contains("near-bands"));
        assert!(with(|c| c.max_bucket = 1).contains("near-max-bucket"));
    }

    #[test]
    fn buckets_link_members_to_the_hub_and_cap() {
        assert_eq!(bucket_links(7, &[], 10), (vec![], false));
        assert_eq!(bucket_links(7, &[5], 10), (vec![], false));
        let (links, capped) = bucket_links(7, &[1, 2, 3], 10);
        assert!(!capped);
        assert_eq!(links.len(), 2, "one link per member but the hub");
        assert!(links.iter().all(|&(_, hub)| hub == links[0].1 && hub != links[0].0));
        let (links, capped) = bucket_links(7, &[1, 2, 3, 4], 3);
        assert!(capped);
        assert_eq!(links.len(), 2);
        let hubs: BTreeSet<DocKey> = (0..64).map(|b| bucket_links(b, &[1, 2, 3, 4], 10).0[0].1).collect();
        assert_eq!(hubs.len(), 4, "different buckets pick different hubs");
    }

    #[test]
    fn cluster_rows_say_exact_or_near_against_the_representative() {
        let (a, b, c) = (sketch("a", 1, &[1, 2, 3, 4]), sketch("b", 1, &[1, 2, 3, 4]), sketch("c", 2, &[1, 2, 3, 9]));
        let rows = cluster_rows("a", &[&a, &b, &c], 2);
        let got: Vec<(&str, DuplicateKind, u32)> =
            rows.iter().map(|r| (r.doc_id.as_str(), r.kind, r.similarity_ppm)).collect();
        assert_eq!(
            got,
            [
                ("a", DuplicateKind::Exact, 1_000_000),
                ("b", DuplicateKind::Exact, 1_000_000),
                ("c", DuplicateKind::Near, 750_000)
            ]
        );
        assert!(rows.iter().all(|r| r.cluster_id == "a"));
        // Without an identical twin the representative is near, at similarity 1 to itself.
        let rows = cluster_rows("a", &[&a, &c], 2);
        assert_eq!(rows[0].kind, DuplicateKind::Near);
        assert_eq!(rows[0].similarity_ppm, 1_000_000);
    }
}
