//! The ingest dataflow, in one place.
//!
//! ```text
//! page files ─► expand ─► pages ─ by (doc, page) ─► read (text layer | OCR) ─┬─► write(pages) ───────┐
//!                 └─ decode failures ─┐                                     └─► assemble ─┐         │
//!                                     │           ┌────────────────────────────────────────┘         │
//! records ─┬─ ok ──► clean ──┬──────────► resolve ids ─┬─► documents ─► write(documents) ──────────┤
//!          │                 ├─ changes ─────────────────────────────► write(clean_changes) ──────┤
//!          │                 │  restored ──┘           ├─► exact dups ─► write(duplicates) ────────┤
//!          │                 │                         └─► entities ─┬─► write(entities) ──────────┤
//!          │                 │              restored entities ──────┴─► entity counts ─► write ───┤
//!          └─ err ───────────┴─ filtered ─── id conflicts ─────────────► write(failures) ──────────┤
//!                                                            input counts ──────────────────────────┴─► commit ─┐
//!                                                                                                               │
//!   documents + entities ── exchange by shard ─► index shards (commit after the tables' commit) ◄───────────────┘─► probe
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use differential_dataflow::VecCollection;
use differential_dataflow::input::Input;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::operators::{Concatenate, Input as TimelyInput, Probe};
use timely::dataflow::{Scope, StreamVec};
use wenflow_connectors::delta::{DeltaCommitter, DeltaPartWriter};
use wenflow_connectors::files::SourceRecord;
use wenflow_connectors::kafka::{DeadLetters, dead_letters};
use wenflow_engine::identity::resolve_ids;
use wenflow_engine::schema::TableRow;
use wenflow_engine::sink::{CommitMsg, commit_epochs, write_epochs};
use wenflow_engine::source::{InputRow, Inputs, PositionRow};
use wenflow_engine::split::split_results;
use wenflow_engine::{Document, EntityRow, Epoch, PageTask, Shared};
use wenflow_index::IndexTarget;
use wenflow_operators::clean::CleanConfig;
use wenflow_operators::dedup::DedupConfig;
use wenflow_operators::entities::Extractor;
use wenflow_operators::ocr::{OcrSettings, RestoredPages};
use wenflow_operators::{clean, dedup, entities, ocr};

/// The operators' configuration, shared by the workers of a process.
#[derive(Clone)]
pub struct Operators {
    /// Clean stage options.
    pub clean: Arc<CleanConfig>,
    /// Entity extraction: names and options.
    pub entities: Arc<Extractor>,
    /// Duplicate detection options.
    pub dedup: Arc<DedupConfig>,
    /// Page decoding and OCR options.
    pub ocr: Arc<OcrSettings>,
    /// What a restarted stream committed for its page files (empty otherwise).
    pub restored_pages: Arc<RestoredPages>,
    /// Where failed records are also produced after their epoch commits.
    pub dead_letters: Option<DeadLetters>,
}

/// Where each table's writer puts its parts, and what the table already holds.
#[derive(Clone)]
pub struct SinkTargets {
    /// Object store of each table, rooted at the table.
    pub stores: BTreeMap<&'static str, Arc<dyn object_store::ObjectStore>>,
    /// Last epoch of this job each table holds.
    pub committed: BTreeMap<&'static str, Option<Epoch>>,
    /// Runtime for storage I/O.
    pub runtime: tokio::runtime::Handle,
    /// The full-text index, unless `--no-index`.
    pub index: Option<IndexTarget>,
}

impl SinkTargets {
    /// The operator that writes `updates` to `R`'s table, epoch by epoch, as parts for the
    /// committer.
    fn write<'s, R: TableRow + Ord + Clone>(
        &self,
        updates: VecCollection<'s, Epoch, R, isize>,
        worker: usize,
    ) -> StreamVec<'s, Epoch, CommitMsg> {
        let store = self.stores.get(R::TABLE).cloned().unwrap_or_else(|| panic!("no store for table {}", R::TABLE));
        let committed = self.committed.get(R::TABLE).copied().flatten();
        write_epochs(updates, DeltaPartWriter::<R>::new(store, self.runtime.clone(), worker, committed))
    }
}

/// Builds the ingest dataflow in `scope`. `committer` is `Some` on worker 0 only.
pub fn build(
    scope: Scope<'_, Epoch>,
    targets: &SinkTargets,
    operators: &Operators,
    committer: Option<DeltaCommitter>,
) -> Inputs {
    let worker = scope.index();
    let (records_in, records) = scope.new_collection::<SourceRecord, isize>();
    let (page_files_in, page_files) = scope.new_collection::<PageTask, isize>();
    let (restored_in, restored) = scope.new_collection::<Document, isize>();
    let (restored_entities_in, restored_entities) = scope.new_collection::<EntityRow, isize>();
    let (log_in, log) = scope.new_collection::<InputRow, isize>();
    let (positions_in, positions) = scope.new_collection::<PositionRow, isize>();
    let (counts_in, inputs) = scope.new_input::<Vec<CommitMsg>>();

    let restored_pages = operators.restored_pages.clone();
    let (page_tasks, decode_failures) = ocr::expand_pages(page_files, operators.ocr.clone(), restored_pages.clone());
    let (pages, page_failures) = ocr::read_pages(page_tasks, operators.ocr.clone(), restored_pages);
    let page_docs = ocr::documents_of_pages(pages.clone());
    let (read, read_failures) = split_results(records);
    let (cleaned, changes, filtered) = clean::clean(read.concat(page_docs), operators.clean.clone());
    let (documents, id_conflicts) = resolve_ids(cleaned.concat(restored));
    let duplicates = dedup::duplicates(documents.clone(), operators.dedup.clone());
    let mentions = entities::entities(documents.clone(), operators.entities.clone()).concat(restored_entities);
    let counts = entities::entity_counts(mentions.clone());
    let failures = read_failures.concat(filtered).concat(id_conflicts).concat(decode_failures).concat(page_failures);

    let doc_parts = targets.write::<Shared<Document>>(documents.clone(), worker);
    let dup_parts = targets.write(duplicates, worker);
    let failures_for_dead_letters = operators.dead_letters.as_ref().map(|_| failures.clone());
    let fail_parts = targets.write(failures, worker);
    let mentions_for_index = mentions.clone();
    let entity_parts = targets.write(mentions, worker);
    let count_parts = targets.write(counts, worker);
    let change_parts = targets.write(changes, worker);
    let page_parts = targets.write(pages, worker);
    // Stream jobs log their inputs; a batch plan needs no log.
    let log_parts = targets.stores.contains_key(InputRow::TABLE).then(|| targets.write(log, worker));
    let position_parts = targets.stores.contains_key(PositionRow::TABLE).then(|| targets.write(positions, worker));

    let epochs = inputs.clone().flat_map(|m| match m {
        CommitMsg::Inputs { epoch, .. } => Some(epoch),
        CommitMsg::Part(_) => None,
    });
    let msgs = scope.concatenate(position_parts.into_iter().chain(log_parts).chain([
        doc_parts,
        dup_parts,
        fail_parts,
        entity_parts,
        count_parts,
        change_parts,
        page_parts,
        inputs,
    ]));
    let committed = commit_epochs(msgs, committer);
    let done = match (failures_for_dead_letters, &operators.dead_letters) {
        (Some(failures), Some(target)) => {
            let produced = dead_letters(failures, committed.clone().map(|_| ()), target.clone());
            scope.concatenate([committed.clone().map(|_| ()), produced])
        }
        _ => committed.clone().map(|_| ()),
    };
    let probe = match &targets.index {
        Some(target) => {
            let everywhere = committed.clone().broadcast();
            let indexed =
                wenflow_index::index_epochs(documents, mentions_for_index, epochs, everywhere, target.clone());
            scope.concatenate([indexed.map(|_| ()), done]).probe().0
        }
        None => done.probe().0,
    };
    Inputs {
        records: records_in,
        page_files: page_files_in,
        restored: restored_in,
        restored_entities: restored_entities_in,
        log: log_in,
        positions: positions_in,
        counts: counts_in,
        probe,
    }
}
