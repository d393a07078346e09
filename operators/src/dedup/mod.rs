//! Duplicate detection. Exact duplicates share a content hash; the cluster id is the
//! smallest `doc_id` of the cluster. Results follow retractions: removing a member updates
//! or dissolves its cluster. Near duplicates (in progress) start from MinHash signatures
//! and LSH band keys ([`minhash`]).

mod exact;
pub mod minhash;

pub use exact::{exact_clusters, exact_duplicates};
