//! Duplicate detection. Exact duplicates share a content hash; near duplicates are linked
//! by MinHash/LSH and verified ([`minhash`], [`near`]). Clusters are the connected
//! components of both kinds of links and the cluster id is the smallest `doc_id` of the
//! cluster. Results follow retractions: removing a member updates, splits or dissolves its
//! cluster.

mod exact;
pub mod lsh;
pub mod minhash;
pub mod near;

pub use exact::{exact_clusters, exact_duplicates};
pub use near::{DedupConfig, duplicates};
