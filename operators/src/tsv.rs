//! The compiled-in data tables are tab-separated with a header row.

/// The rows of `text` after its header, each split at tabs; blank lines skipped.
pub(crate) fn tsv(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split('\t').collect())
}
