//! The LSH buckets of near-duplicate detection as a dedicated incremental operator.
//!
//! A bucket is a band key and the documents whose signatures give it. Its output is the
//! candidate links of [`bucket_links`](super::near::bucket_links): each member to the
//! bucket's hub. Differential's `reduce` computes the same thing but keeps two arrangements
//! of (band key, member, epoch, diff), about 36 bytes an entry before merges, for 20 entries
//! per document, almost all of them buckets of one member that never link anything. This
//! operator keeps the current members only:
//!
//! - a bucket of one member is part of its band key and the member in a sorted table
//!   ([`Lone`]), 8 bytes and a little spare capacity an entry;
//! - a bucket of two, as every exact duplicate's bands are, is a band key and two members
//!   in another such table ([`Runs`]), 16 bytes an entry;
//! - a bucket of more (or with a count other than one) keeps its members and their counts
//!   in a small vector.
//!
//! Epochs are totally ordered, so the current members are all an epoch needs: each epoch
//! is applied once complete, in order ([`in_epoch_order`]), and a bucket that changed
//! emits the difference between its links before and after, at that epoch. That is exactly what the `reduce` emits, as the tests check against a
//! recomputation from scratch.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use differential_dataflow::VecCollection;
use wenflow_engine::Epoch;
use wenflow_engine::ordered::in_epoch_order;

use super::near::bucket_links;

/// A bucket: a band key. 64 bits, because an unrelated document that shares a bucket by
/// chance may become its hub and cost the bucket's members their link.
pub type BucketKey = u64;

/// The key a document goes by inside near-duplicate detection: its `doc_id` hashed to 32
/// bits, so that the buckets, the largest state (one entry per document and band), hold a
/// 4-byte member per entry. Ids that share a key (about 18 pairs among 390k documents)
/// cost a few wasted candidates and nothing else: every link and row is checked by
/// `doc_id`.
pub type DocKey = u32;

/// A hasher for keys that are already uniform hashes: one splitmix64 finalizer, so the low
/// bits the table indexes by stay uniform though the exchange routed by some of them.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

type Mix = BuildHasherDefault<MixHasher>;

/// A bucket's members, sorted, with their non-zero counts.
type Counts = Vec<(DocKey, isize)>;

/// Average entries per run above which a table of runs doubles its runs.
const RUN: usize = 48;

/// What tells buckets apart: the top 48 bits of the band key. Two different band keys
/// that agree in them (about one pair among the 7.8 million keys of a 390k-document
/// corpus) are one bucket, which costs a candidate the verification drops. It lets the
/// lone table keep 32 bits of a key beside its member, the run giving the top 16.
fn ident(key: BucketKey) -> BucketKey {
    key & !0xFFFF
}

/// Buckets of two members, each with count one: band keys and members sorted by key, in
/// runs chosen by the key's top bits (band keys are uniform hashes, and the exchange
/// routes by their low bits). A lookup searches a run of a few dozen keys and an insertion
/// moves as many; the runs double when they grow past [`RUN`] entries on average, so a
/// table of millions costs 16 bytes an entry and some spare capacity, against 32 for a
/// hash table entry plus a heap allocation for the members. The key kept is the whole
/// band key, which seeds the bucket's hub order; lookups go by [`ident`].
struct Runs<const N: usize> {
    /// `log2(runs.len())`: how many top bits of a key choose its run.
    bits: u32,
    runs: Vec<Run<N>>,
    len: usize,
}

/// One run of [`Runs`]: keys sorted, members beside them.
struct Run<const N: usize> {
    keys: Vec<BucketKey>,
    members: Vec<[DocKey; N]>,
}

impl<const N: usize> Default for Run<N> {
    fn default() -> Self {
        Run { keys: Vec::new(), members: Vec::new() }
    }
}

impl<const N: usize> Default for Runs<N> {
    fn default() -> Self {
        Runs { bits: 4, runs: (0..16).map(|_| Run::default()).collect(), len: 0 }
    }
}

/// Grows a vector about to take one more element by a sixteenth, not double: spare
/// capacity is most of a table's overhead.
fn reserve_a_sixteenth<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact(v.len() / 16 + 2);
    }
}

impl<const N: usize> Runs<N> {
    fn run(&self, key: BucketKey) -> usize {
        (key >> (64 - self.bits)) as usize
    }

    /// Removes the bucket whose key has the [`ident`] of `key`, returning its whole key
    /// and its members.
    fn remove(&mut self, key: BucketKey) -> Option<(BucketKey, [DocKey; N])> {
        let i = self.run(key);
        let run = &mut self.runs[i];
        let at = run.keys.partition_point(|k| ident(*k) < ident(key));
        if run.keys.get(at).is_none_or(|k| ident(*k) != ident(key)) {
            return None;
        }
        self.len -= 1;
        Some((run.keys.remove(at), run.members.remove(at)))
    }

    /// Adds the bucket `key` (absent) with its members.
    fn insert(&mut self, key: BucketKey, members: [DocKey; N]) {
        let i = self.run(key);
        let run = &mut self.runs[i];
        let at = run.keys.partition_point(|k| *k < key);
        reserve_a_sixteenth(&mut run.keys);
        reserve_a_sixteenth(&mut run.members);
        run.keys.insert(at, key);
        run.members.insert(at, members);
        self.len += 1;
        if self.len > RUN * self.runs.len() && self.bits < 48 {
            self.split();
        }
    }

    /// Doubles the runs: each splits in two by the next bit of its keys.
    fn split(&mut self) {
        let shift = 63 - self.bits;
        let mut runs = Vec::with_capacity(self.runs.len() * 2);
        for run in std::mem::take(&mut self.runs) {
            let at = run.keys.partition_point(|k| (k >> shift) & 1 == 0);
            runs.push(Run { keys: run.keys[..at].to_vec(), members: run.members[..at].to_vec() });
            runs.push(Run { keys: run.keys[at..].to_vec(), members: run.members[at..].to_vec() });
        }
        self.runs = runs;
        self.bits += 1;
    }
}

/// Buckets of one member with count one, most of them by far (a document has 20 band
/// keys, and nearly all are its alone): 8 bytes an entry. An entry is bits 16–47 of the
/// band key and the member in one `u64`, in runs chosen by the top `bits` (at least 16)
/// bits of the key, so an entry and its run give the key's [`ident`]. The runs are made
/// at the first insertion, and double past [`RUN`] entries on average.
struct Lone {
    /// `log2(runs.len())`, at least 16 once there are runs.
    bits: u32,
    runs: Vec<Vec<u64>>,
    len: usize,
    /// Average entries per run above which the runs double: [`RUN`] (less in tests).
    split_at: usize,
}

impl Default for Lone {
    fn default() -> Self {
        Lone { bits: 0, runs: Vec::new(), len: 0, split_at: RUN }
    }
}

impl Lone {
    const MIN_BITS: u32 = 16;

    fn run(&self, key: BucketKey) -> usize {
        (key >> (64 - self.bits)) as usize
    }

    /// Bits 16–47 of a key: what an entry keeps of it.
    fn window(key: BucketKey) -> u64 {
        (key >> 16) & 0xFFFF_FFFF
    }

    /// Where the entry of `key` is (or would go) in `run`.
    fn find(run: &[u64], key: BucketKey) -> Result<usize, usize> {
        let w = Self::window(key);
        let at = run.partition_point(|e| e >> 32 < w);
        if run.get(at).is_some_and(|e| e >> 32 == w) { Ok(at) } else { Err(at) }
    }

    /// Removes the bucket of `key`'s [`ident`], returning its member.
    fn remove(&mut self, key: BucketKey) -> Option<DocKey> {
        if self.runs.is_empty() {
            return None;
        }
        let i = self.run(key);
        let at = Self::find(&self.runs[i], key).ok()?;
        self.len -= 1;
        Some(self.runs[i].remove(at) as DocKey)
    }

    /// Adds the bucket of `key`'s [`ident`] (absent) with its one member.
    fn insert(&mut self, key: BucketKey, member: DocKey) {
        if self.runs.is_empty() {
            self.bits = Self::MIN_BITS;
            self.runs = (0..1 << Self::MIN_BITS).map(|_| Vec::new()).collect();
        }
        let i = self.run(key);
        let run = &mut self.runs[i];
        let at = Self::find(run, key).unwrap_or_else(|at| at);
        reserve_a_sixteenth(run);
        run.insert(at, Self::window(key) << 32 | u64::from(member));
        self.len += 1;
        if self.len > self.split_at * self.runs.len() && self.bits < 48 {
            self.split();
        }
    }

    /// Doubles the runs: each splits in two by the next bit of its keys, which lies in
    /// the entries' window (key bit `63 − bits` is entry bit `79 − bits`).
    fn split(&mut self) {
        let shift = 79 - self.bits;
        let mut runs = Vec::with_capacity(self.runs.len() * 2);
        for run in std::mem::take(&mut self.runs) {
            let at = run.partition_point(|e| (e >> shift) & 1 == 0);
            runs.push(run[..at].to_vec());
            runs.push(run[at..].to_vec());
        }
        self.runs = runs;
        self.bits += 1;
    }
}

/// The current members of every bucket of one worker.
#[derive(Default)]
pub struct Buckets {
    /// Buckets whose only member has count one: most of them.
    lone: Lone,
    /// Buckets of two members with count one each (sorted): most of the rest, as every
    /// exact duplicate shares all its bands with its twin.
    pairs: Runs<2>,
    /// Every other non-empty bucket by [`ident`]: its whole key, and its members sorted,
    /// with their non-zero counts.
    shared: HashMap<BucketKey, (BucketKey, Counts), Mix>,
    /// Largest bucket size for linking, as in [`bucket_links`].
    cap: usize,
}

impl Buckets {
    /// Empty buckets that link at most `cap` members each.
    pub fn new(cap: usize) -> Buckets {
        Buckets { cap, ..Buckets::default() }
    }

    /// Number of non-empty buckets.
    pub fn len(&self) -> usize {
        self.lone.len + self.pairs.len + self.shared.len()
    }

    /// Whether no bucket has a member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the links of a bucket with `members` (sorted, non-zero counts) to `links`:
    /// those of [`bucket_links`] among the members with a positive count, and a member's
    /// link to itself when its count is above one (two documents whose keys collide, which
    /// the join on keys then pairs). Returns whether the bucket was capped.
    fn links(
        &self,
        bucket: BucketKey,
        members: &[(DocKey, isize)],
        positive: &mut Vec<DocKey>,
        links: &mut Vec<(DocKey, DocKey)>,
    ) -> bool {
        positive.clear();
        positive.extend(members.iter().filter(|(_, n)| *n > 0).map(|(m, _)| *m));
        links.extend(members.iter().filter(|(_, n)| *n > 1).map(|(m, _)| (*m, *m)));
        if positive.len() < 2 {
            return false;
        }
        let (linked, capped) = bucket_links(bucket, positive, self.cap);
        links.extend(linked);
        capped
    }

    /// Applies one epoch's updates `((bucket, member), diff)` (consolidated here) and
    /// appends the changes of the candidate links `((member, hub), diff)` to `out`.
    pub fn apply(&mut self, updates: &mut Vec<((BucketKey, DocKey), isize)>, out: &mut Vec<((DocKey, DocKey), isize)>) {
        consolidate_in_place(updates);
        let mut members: Vec<(DocKey, isize)> = Vec::new();
        let mut positive: Vec<DocKey> = Vec::new();
        let mut before: Vec<(DocKey, DocKey)> = Vec::new();
        let mut changes: Vec<(DocKey, isize)> = Vec::new();
        // Sorted by key, so the keys of one `ident` are together.
        for group in updates.chunk_by(|a, b| ident(a.0.0) == ident(b.0.0)) {
            let bucket = group[0].0.0;
            members.clear();
            // The key that seeds the bucket's hub order: the one it was kept with while it
            // had several members, else this epoch's.
            let mut seed = bucket;
            if let Some(m) = self.lone.remove(bucket) {
                members.push((m, 1));
            } else if let Some((key, [a, b])) = self.pairs.remove(bucket) {
                members.extend([(a, 1), (b, 1)]);
                seed = key;
            } else if let Some((key, ms)) = self.shared.remove(&ident(bucket)) {
                members = ms;
                seed = key;
            }
            before.clear();
            self.links(seed, &members, &mut positive, &mut before);
            changes.clear();
            changes.extend(group.iter().map(|&((_, m), d)| (m, d)));
            if group.first().map(|u| u.0.0) != group.last().map(|u| u.0.0) {
                // Two keys of one `ident`: their members in one order, counted once.
                differential_dataflow::consolidation::consolidate(&mut changes);
            }
            merge_counts(&mut members, changes.iter().copied());
            let mut after = Vec::new();
            if self.links(seed, &members, &mut positive, &mut after) {
                tracing::warn!(
                    bucket = seed,
                    members = positive.len(),
                    cap = self.cap,
                    "lsh bucket over the cap: only the first members are linked"
                );
            }
            difference(&mut before, &mut after, out);
            match members.as_slice() {
                [] => {}
                [(m, 1)] => self.lone.insert(seed, *m),
                [(a, 1), (b, 1)] => self.pairs.insert(seed, [*a, *b]),
                _ => {
                    let mut kept = std::mem::take(&mut members);
                    kept.shrink_to_fit();
                    self.shared.insert(ident(seed), (seed, kept));
                }
            }
        }
        updates.clear();
    }
}

/// Adds `changes` (sorted by member, one each) to `members` (sorted, non-zero counts) in
/// one merge, so that a large bucket taking many members in one epoch costs their sum,
/// not their product.
fn merge_counts(members: &mut Vec<(DocKey, isize)>, changes: impl Iterator<Item = (DocKey, isize)>) {
    let old = std::mem::take(members);
    let mut old = old.into_iter().peekable();
    for (m, d) in changes {
        while let Some(&(k, n)) = old.peek() {
            if k >= m {
                break;
            }
            members.push((k, n));
            old.next();
        }
        let n = match old.peek() {
            Some(&(k, n)) if k == m => {
                old.next();
                n + d
            }
            _ => d,
        };
        if n != 0 {
            members.push((m, n));
        }
    }
    members.extend(old);
}

/// Appends `after − before` to `out`: retractions of the links that went, insertions of
/// those that came; links in both cancel.
fn difference(
    before: &mut [(DocKey, DocKey)],
    after: &mut [(DocKey, DocKey)],
    out: &mut Vec<((DocKey, DocKey), isize)>,
) {
    before.sort_unstable();
    after.sort_unstable();
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) if b == a => {
                i += 1;
                j += 1;
            }
            (Some(b), Some(a)) if b < a => {
                out.push((*b, -1));
                i += 1;
            }
            (Some(b), None) => {
                out.push((*b, -1));
                i += 1;
            }
            (_, Some(a)) => {
                out.push((*a, 1));
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// Sorts `updates` and sums the diffs of equal keys, dropping those that sum to zero, as
/// differential's `consolidate` does, but with an unstable sort: the stable one allocates a
/// buffer of half the updates (an epoch of the corpus is a million band keys, 12 MB), and
/// the order of equal keys does not matter once their diffs are summed.
fn consolidate_in_place<T: Ord>(updates: &mut Vec<(T, isize)>) {
    updates.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    updates.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    updates.retain(|(_, diff)| *diff != 0);
}

/// The candidate links `(member, hub)` of the buckets `(band key, member)`: the output of
/// [`bucket_links`] for every bucket (and a member's link to itself when it is in a
/// bucket twice), kept current as members come and go. Buckets are exchanged by [`ident`]. The
/// same operator groups exact duplicates, with content hashes for keys and no cap.
pub fn lsh_links<'s>(
    bands: VecCollection<'s, Epoch, (BucketKey, DocKey)>,
    cap: usize,
    name: &str,
) -> VecCollection<'s, Epoch, (DocKey, DocKey)> {
    let mut buckets = Buckets::new(cap);
    in_epoch_order(
        bands,
        name,
        // By the `ident` (shifted past its zero low bits, which the exchange would read):
        // the keys of one `ident` meet on one worker, and the shares stay even.
        |(bucket, _): &(BucketKey, DocKey)| bucket >> 16,
        move |_epoch, updates, links| buckets.apply(updates, links),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::testing::XorShift;

    /// The links of every bucket computed from scratch, from the accumulated counts.
    fn from_scratch(counts: &BTreeMap<(BucketKey, DocKey), isize>, cap: usize) -> BTreeMap<(DocKey, DocKey), isize> {
        let mut by_bucket: BTreeMap<BucketKey, Vec<DocKey>> = BTreeMap::new();
        let mut links = BTreeMap::new();
        for (&(b, m), &n) in counts {
            if n > 0 {
                by_bucket.entry(b).or_default().push(m);
            }
            if n > 1 {
                *links.entry((m, m)).or_insert(0) += 1;
            }
        }
        for (b, members) in by_bucket {
            for l in bucket_links(b, &members, cap).0 {
                *links.entry(l).or_insert(0) += 1;
            }
        }
        links
    }

    /// Applies one epoch's `updates` (already added to `counts`) and adds the emitted link
    /// changes to `emitted`; both keep only non-zero counts.
    fn apply_and_add_up(
        buckets: &mut Buckets,
        updates: &mut Vec<((BucketKey, DocKey), isize)>,
        counts: &mut BTreeMap<(BucketKey, DocKey), isize>,
        emitted: &mut BTreeMap<(DocKey, DocKey), isize>,
    ) {
        let mut out = Vec::new();
        buckets.apply(updates, &mut out);
        for (link, d) in out {
            *emitted.entry(link).or_insert(0) += d;
        }
        emitted.retain(|_, n| *n != 0);
        counts.retain(|_, n| *n != 0);
    }

    /// The unstable consolidation gives what differential's gives, over random updates with
    /// repeated keys, diffs that cancel, and empty and one-element inputs.
    #[test]
    fn consolidation_in_place_equals_differentials() {
        for seed in 1..=500u64 {
            let mut rng = XorShift::new(seed);
            let (len, keys) = (rng.below(64) as usize, 1 + rng.below(16));
            let updates: Vec<((BucketKey, DocKey), isize)> =
                (0..len).map(|_| ((rng.below(keys), rng.below(3) as DocKey), rng.below(5) as isize - 2)).collect();
            let (mut ours, mut theirs) = (updates.clone(), updates);
            consolidate_in_place(&mut ours);
            differential_dataflow::consolidation::consolidate(&mut theirs);
            assert_eq!(ours, theirs, "seed {seed}");
        }
    }

    /// Over random sequences of epochs (insertions, retractions, counts above one, counts
    /// that go negative and come back, a small key space so buckets fill and empty), the
    /// accumulated output after every epoch equals the links computed from scratch.
    #[test]
    fn incremental_links_equal_links_from_scratch() {
        for seed in 1..=300u64 {
            let mut rng = XorShift::new(seed);
            let cap = 2 + rng.below(5) as usize;
            let (nb, nm) = (1 + rng.below(12), 1 + rng.below(20) as u32);
            let mut buckets = Buckets::new(cap);
            let mut counts: BTreeMap<(BucketKey, DocKey), isize> = BTreeMap::new();
            let mut emitted: BTreeMap<(DocKey, DocKey), isize> = BTreeMap::new();
            for _epoch in 0..12 {
                let mut updates = Vec::new();
                for _ in 0..rng.below(30) {
                    let key = (rng.below(nb).wrapping_mul(0x9E37_79B9_7F4A_7C15), rng.below(u64::from(nm)) as u32);
                    let live = counts.get(&key).copied().unwrap_or(0);
                    let diff = match rng.below(10) {
                        0 => -1,
                        1 => 2,
                        _ if live > 0 && rng.below(2) == 0 => -live,
                        _ => 1,
                    };
                    *counts.entry(key).or_insert(0) += diff;
                    updates.push((key, diff));
                }
                apply_and_add_up(&mut buckets, &mut updates, &mut counts, &mut emitted);
                assert_eq!(emitted, from_scratch(&counts, cap), "seed {seed}");
                let live_buckets: std::collections::BTreeSet<_> = counts.keys().map(|(b, _)| *b).collect();
                assert_eq!(buckets.len(), live_buckets.len(), "seed {seed}: buckets kept");
            }
        }
    }

    /// Keys that agree in their `ident` (top 48 bits) are one bucket: over random sequences
    /// where many keys differ only in their low bits, no count goes negative, the table
    /// keeps one bucket per live `ident`, and the emitted links connect exactly the
    /// members of each `ident` (the hub depends on which key seeded it, the components do
    /// not; no cap).
    #[test]
    fn keys_of_one_ident_are_one_bucket() {
        fn root(parent: &mut BTreeMap<DocKey, DocKey>, m: DocKey) -> DocKey {
            let p = *parent.entry(m).or_insert(m);
            if p == m {
                return m;
            }
            let r = root(parent, p);
            parent.insert(m, r);
            r
        }
        fn components(pairs: impl Iterator<Item = (DocKey, DocKey)>) -> BTreeMap<DocKey, DocKey> {
            let mut parent = BTreeMap::new();
            for (a, b) in pairs {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent.insert(ra.max(rb), ra.min(rb));
            }
            let keys: Vec<DocKey> = parent.keys().copied().collect();
            keys.into_iter().map(|m| (m, root(&mut parent, m))).collect()
        }
        for seed in 1..=200u64 {
            let mut rng = XorShift::new(seed);
            let mut buckets = Buckets::new(usize::MAX);
            let mut counts: BTreeMap<(BucketKey, DocKey), isize> = BTreeMap::new();
            let mut emitted: BTreeMap<(DocKey, DocKey), isize> = BTreeMap::new();
            for _epoch in 0..10 {
                let mut updates = Vec::new();
                for _ in 0..rng.below(25) {
                    let key = (rng.below(4) + 1).wrapping_mul(0x9E37_79B9_7F4A_0000) | rng.below(3);
                    let key = (key, rng.below(12) as u32);
                    let live = counts.get(&key).copied().unwrap_or(0);
                    let diff = if live > 0 && rng.below(3) == 0 { -1 } else { 1 };
                    *counts.entry(key).or_insert(0) += diff;
                    updates.push((key, diff));
                }
                apply_and_add_up(&mut buckets, &mut updates, &mut counts, &mut emitted);
                assert!(emitted.values().all(|n| *n > 0), "seed {seed}: a link went negative");
                let mut by_ident: BTreeMap<BucketKey, BTreeMap<DocKey, isize>> = BTreeMap::new();
                for (&(k, m), &n) in &counts {
                    *by_ident.entry(ident(k)).or_default().entry(m).or_insert(0) += n;
                }
                by_ident.retain(|_, ms| ms.values().any(|n| *n != 0));
                assert_eq!(buckets.len(), by_ident.len(), "seed {seed}: one bucket per ident");
                let expected = components(by_ident.values().flat_map(|ms| {
                    let live: Vec<DocKey> = ms.iter().filter(|(_, n)| **n > 0).map(|(m, _)| *m).collect();
                    let first = live.first().copied();
                    live.into_iter().filter_map(move |m| first.map(|f| (m, f)))
                }));
                let got = components(emitted.keys().copied());
                let nontrivial = |c: &BTreeMap<DocKey, DocKey>| -> BTreeMap<DocKey, DocKey> {
                    c.iter()
                        .filter(|(m, r)| m != r || c.values().filter(|x| x == r).count() > 1)
                        .map(|(m, r)| (*m, *r))
                        .collect()
                };
                assert_eq!(nontrivial(&got), nontrivial(&expected), "seed {seed}: components");
            }
        }
    }

    /// The lone table against a `BTreeMap` by `ident`, through splits (made frequent) and
    /// removals: every bucket is found with its member by any key of its `ident`, absent
    /// ones are not; and the pairs table the same way.
    #[test]
    fn the_tables_keep_every_bucket_through_splits() {
        let mut rng = XorShift::new(7);
        let mut lone = Lone { split_at: 1, ..Lone::default() };
        let mut pairs = Runs::<2>::default();
        let mut map: BTreeMap<BucketKey, (BucketKey, DocKey)> = BTreeMap::new();
        // A key of the same `ident` with other low bits.
        let other = |k: BucketKey, rng: &mut XorShift| ident(k) | rng.below(1 << 16);
        for round in 0..4 {
            for _ in 0..60_000 {
                let key = rng.below(u64::MAX) ^ (rng.below(1 << 16) << 48);
                if map.contains_key(&ident(key)) {
                    continue;
                }
                let member = rng.below(1 << 32) as u32;
                lone.insert(key, member);
                pairs.insert(key, [member, !member]);
                map.insert(ident(key), (key, member));
            }
            let gone: Vec<(BucketKey, (BucketKey, DocKey))> =
                map.iter().filter(|(k, _)| (*k >> 16) % 3 == round % 3).map(|(k, v)| (*k, *v)).collect();
            for (id, (key, member)) in gone {
                let by = other(key, &mut rng);
                assert_eq!(lone.remove(by), Some(member));
                assert_eq!(lone.remove(key), None);
                assert_eq!(pairs.remove(by), Some((key, [member, !member])));
                assert_eq!(pairs.remove(key), None);
                map.remove(&id);
            }
            assert_eq!((lone.len, pairs.len), (map.len(), map.len()));
        }
        assert!(lone.bits > Lone::MIN_BITS, "the lone table split: {} bits", lone.bits);
        assert!(pairs.bits > 8, "the pairs table split: {} bits", pairs.bits);
        for (key, member) in map.values() {
            let by = other(*key, &mut rng);
            let run = &lone.runs[lone.run(by)];
            let at = Lone::find(run, by).expect("bucket kept");
            assert_eq!(run[at] as DocKey, *member);
        }
        assert!(lone.runs.iter().all(|r| r.is_sorted()));
        assert!(pairs.runs.iter().all(|r| r.keys.is_sorted() && r.keys.len() == r.members.len()));
    }

    /// A bucket of one member lives in the lone table, of two in the pairs table, of three
    /// or with a count above one in the shared one; it moves between them as members come
    /// and go, and its links follow.
    #[test]
    fn a_bucket_moves_between_the_tables() {
        let mut b = Buckets::new(10);
        let mut out = Vec::new();
        let tables = |b: &Buckets| (b.lone.len, b.pairs.len, b.shared.len());
        let mut step = |b: &mut Buckets, member: DocKey, diff: isize| {
            out.clear();
            b.apply(&mut vec![((7, member), diff)], &mut out);
            let mut links = out.clone();
            links.sort();
            links
        };
        assert!(step(&mut b, 1, 1).is_empty());
        assert_eq!(tables(&b), (1, 0, 0));
        let links = step(&mut b, 2, 1);
        assert_eq!(links.len(), 1);
        assert_eq!(tables(&b), (0, 1, 0));
        assert_eq!(step(&mut b, 3, 1).iter().map(|(_, d)| d).sum::<isize>(), 1, "three members, two links");
        assert_eq!(tables(&b), (0, 0, 1));
        step(&mut b, 3, -1);
        assert_eq!(tables(&b), (0, 1, 0));
        assert_eq!(step(&mut b, 2, 1), [((2, 2), 1)], "a second copy links to itself");
        assert_eq!(tables(&b), (0, 0, 1), "a count of two is not a pair");
        assert_eq!(step(&mut b, 2, -1), [((2, 2), -1)]);
        assert_eq!(tables(&b), (0, 1, 0));
        assert_eq!(step(&mut b, 2, -1), links.iter().map(|&(l, _)| (l, -1)).collect::<Vec<_>>());
        assert_eq!(tables(&b), (1, 0, 0));
        assert!(step(&mut b, 1, -1).is_empty() && b.is_empty());
    }
}
