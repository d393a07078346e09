//! The output tables: one declaration per table ([`crate::table::Table`]) and the
//! registry of them all ([`TABLES`]).
//!
//! Every table is a change log: each row carries `time` (the epoch) and `diff` (+1 / -1).
//! The current state of a table is its rows with the diffs folded (see `wenflow-queries`).
//!
//! Adding a table is its declaration here (a `Table` of its record type and the
//! `TableRow` impl that names it) and one line in [`TABLES`]; the Delta tables are created,
//! checked, written and committed from the registry.

use serde::{Deserialize, Serialize};

use crate::record::{CleanChange, Document, DuplicateRow, EntityCount, EntityRow, Failure, PageRow, Shared};
use crate::source::{InputRow, PositionRow};
use crate::table::ColumnType::{Boolean, Float64, Int32, Int64, Timestamp, Utf8};
use crate::table::{Column, Commit, Table, Value};

pub use crate::table::{DIFF, TIME, TableInfo, TableRow};

impl<T: TableRow> TableRow for Shared<T> {
    type Row = T::Row;
    const DECLARATION: Table<T::Row> = T::DECLARATION;

    fn row(&self) -> &T::Row {
        self.0.row()
    }
}

/// Every output table, in commit order: the input log (stream jobs only), the tables
/// committed with every epoch, then `runs`.
pub fn tables() -> [TableInfo; 10] {
    [
        PositionRow::info(),
        InputRow::info(),
        Document::info(),
        DuplicateRow::info(),
        Failure::info(),
        EntityRow::info(),
        EntityCount::info(),
        CleanChange::info(),
        PageRow::info(),
        RunRow::info(),
    ]
}

/// The tables every epoch commits, in commit order. A job resumes after the last epoch
/// all of them hold.
pub fn data_tables() -> impl Iterator<Item = TableInfo> {
    tables().into_iter().filter(|t| t.commit == Commit::EveryEpoch)
}

impl TableRow for PositionRow {
    type Row = PositionRow;
    const DECLARATION: Table<PositionRow> = Table::new(
        "positions",
        Commit::InputLog,
        &[
            Column::new("source", Utf8, |r| Value::str(&r.source), |r, v| v.put_str(&mut r.source)),
            Column::new("partition", Utf8, |r| Value::str(&r.partition), |r, v| v.put_str(&mut r.partition)),
            Column::new("position", Int64, |r| Value::Int(r.position), |r, v| v.put_int(&mut r.position)),
        ],
    );

    fn row(&self) -> &PositionRow {
        self
    }
}

impl TableRow for InputRow {
    type Row = InputRow;
    const DECLARATION: Table<InputRow> = Table::new(
        "inputs",
        Commit::InputLog,
        &[
            Column::new("key", Utf8, |r| Value::str(&r.key), |r, v| v.put_str(&mut r.key)),
            Column::new("version", Utf8, |r| Value::str(&r.version), |r, v| v.put_str(&mut r.version)),
            Column::new(
                "input",
                Utf8,
                |r| Value::Str(serde_json::to_string(&r.input).unwrap_or_default().into()),
                |r, v| {
                    let mut json = String::new();
                    v.put_str(&mut json) && serde_json::from_str(&json).map(|input| r.input = input).is_ok()
                },
            ),
        ],
    );

    fn row(&self) -> &InputRow {
        self
    }
}

impl TableRow for Document {
    type Row = Document;
    const DECLARATION: Table<Document> = Table::new(
        "documents",
        Commit::EveryEpoch,
        &[
            Column::new("doc_id", Utf8, |d| Value::str(&d.doc_id), |d, v| v.put_str(&mut d.doc_id)),
            Column::new("source", Utf8, |d| Value::str(&d.source), |d, v| v.put_str(&mut d.source)),
            Column::nullable("title", Utf8, |d| Value::opt_str(d.title.as_deref()), |d, v| v.put_opt_str(&mut d.title)),
            Column::nullable(
                "author",
                Utf8,
                |d| Value::opt_str(d.author.as_deref()),
                |d, v| v.put_opt_str(&mut d.author),
            ),
            Column::nullable(
                "collection",
                Utf8,
                |d| Value::opt_str(d.collection.as_deref()),
                |d, v| v.put_opt_str(&mut d.collection),
            ),
            Column::nullable(
                "dynasty",
                Utf8,
                |d| Value::opt_str(d.dynasty.as_deref()),
                |d, v| v.put_opt_str(&mut d.dynasty),
            ),
            Column::nullable(
                "extra",
                Utf8,
                |d| match d.extra.is_empty() {
                    true => Value::Null,
                    false => Value::Str(serde_json::to_string(&d.extra).unwrap_or_default().into()),
                },
                |d, v| {
                    let mut json = None;
                    v.put_opt_str(&mut json)
                        && json.is_none_or(|j| serde_json::from_str(&j).map(|extra| d.extra = extra).is_ok())
                },
            ),
            Column::new("text", Utf8, |d| Value::str(&d.text), |d, v| v.put_str(&mut d.text)),
            Column::nullable(
                "text_simplified",
                Utf8,
                |d| Value::opt_str(d.text_simplified.as_deref()),
                |d, v| v.put_opt_str(&mut d.text_simplified),
            ),
            Column::new("script", Utf8, |d| Value::name(d.script), |d, v| v.put_name(&mut d.script)),
            Column::derived("chars", Int64, |d| Value::int(d.chars())),
            Column::new("quality", Float64, |d| Value::ppm(d.quality_ppm), |d, v| v.put_ppm(&mut d.quality_ppm)),
            Column::new("content_hash", Utf8, |d| Value::str(&d.content_hash), |d, v| v.put_str(&mut d.content_hash)),
            Column::nullable("pages", Int32, |d| Value::opt_int(d.pages), |d, v| v.put_opt_int(&mut d.pages)),
            Column::nullable(
                "ocr_confidence",
                Float64,
                |d| Value::opt_ppm(d.ocr_confidence_ppm),
                |d, v| v.put_opt_ppm(&mut d.ocr_confidence_ppm),
            ),
        ],
    );

    fn row(&self) -> &Document {
        self
    }
}

impl TableRow for PageRow {
    type Row = PageRow;
    const DECLARATION: Table<PageRow> = Table::new(
        "pages",
        Commit::EveryEpoch,
        &[
            Column::new("doc_id", Utf8, |p| Value::str(&p.doc_id), |p, v| v.put_str(&mut p.doc_id)),
            Column::new("page", Int32, |p| Value::int(p.page), |p, v| v.put_int(&mut p.page)),
            Column::new("text", Utf8, |p| Value::str(&p.text), |p, v| v.put_str(&mut p.text)),
            Column::nullable(
                "confidence",
                Float64,
                |p| Value::opt_ppm(p.confidence_ppm),
                |p, v| v.put_opt_ppm(&mut p.confidence_ppm),
            ),
            Column::new("method", Utf8, |p| Value::name(p.method), |p, v| v.put_name(&mut p.method)),
            Column::new("engine", Utf8, |p| Value::str(&p.engine), |p, v| v.put_str(&mut p.engine)),
            Column::nullable("model", Utf8, |p| Value::opt_str(p.model.as_deref()), |p, v| v.put_opt_str(&mut p.model)),
            Column::nullable(
                "orientation",
                Utf8,
                |p| Value::opt_str(p.orientation.as_deref()),
                |p, v| v.put_opt_str(&mut p.orientation),
            ),
            Column::nullable(
                "layout_by",
                Utf8,
                |p| Value::opt_str(p.layout_by.as_deref()),
                |p, v| v.put_opt_str(&mut p.layout_by),
            ),
            Column::nullable(
                "skew",
                Float64,
                |p| Value::opt_milli(p.skew_millidegrees),
                |p, v| v.put_opt_milli(&mut p.skew_millidegrees),
            ),
            Column::new("ms", Int64, |p| Value::int(p.ms), |p, v| v.put_int(&mut p.ms)),
        ],
    );

    fn row(&self) -> &PageRow {
        self
    }
}

impl TableRow for Failure {
    type Row = Failure;
    const DECLARATION: Table<Failure> = Table::new(
        "failures",
        Commit::EveryEpoch,
        &[
            Column::new("source", Utf8, |f| Value::str(&f.source), |f, v| v.put_str(&mut f.source)),
            Column::nullable(
                "doc_id",
                Utf8,
                |f| Value::opt_str(f.doc_id.as_deref()),
                |f, v| v.put_opt_str(&mut f.doc_id),
            ),
            Column::new("stage", Utf8, |f| Value::name(f.stage), |f, v| v.put_name(&mut f.stage)),
            Column::new("error", Utf8, |f| Value::str(&f.error), |f, v| v.put_str(&mut f.error)),
            Column::new("attempts", Int32, |f| Value::int(f.attempts), |f, v| v.put_int(&mut f.attempts)),
        ],
    );

    fn row(&self) -> &Failure {
        self
    }
}

impl TableRow for DuplicateRow {
    type Row = DuplicateRow;
    const DECLARATION: Table<DuplicateRow> = Table::new(
        "duplicates",
        Commit::EveryEpoch,
        &[
            Column::new("doc_id", Utf8, |r| Value::str(&r.doc_id), |r, v| v.put_str(&mut r.doc_id)),
            Column::new("cluster_id", Utf8, |r| Value::str(&r.cluster_id), |r, v| v.put_str(&mut r.cluster_id)),
            Column::new("kind", Utf8, |r| Value::name(r.kind), |r, v| v.put_name(&mut r.kind)),
            Column::new(
                "similarity",
                Float64,
                |r| Value::ppm(r.similarity_ppm),
                |r, v| v.put_ppm(&mut r.similarity_ppm),
            ),
        ],
    );

    fn row(&self) -> &DuplicateRow {
        self
    }
}

impl TableRow for EntityRow {
    type Row = EntityRow;
    const DECLARATION: Table<EntityRow> = Table::new(
        "entities",
        Commit::EveryEpoch,
        &[
            Column::new("doc_id", Utf8, |e| Value::str(&e.doc_id), |e, v| v.put_str(&mut e.doc_id)),
            Column::new("kind", Utf8, |e| Value::name(e.kind), |e, v| v.put_name(&mut e.kind)),
            Column::new("text", Utf8, |e| Value::str(&e.text), |e, v| v.put_str(&mut e.text)),
            Column::new("norm", Utf8, |e| Value::str(&e.norm), |e, v| v.put_str(&mut e.norm)),
            Column::nullable("year", Int32, |e| Value::opt_int(e.year), |e, v| v.put_opt_int(&mut e.year)),
            Column::new("start", Int32, |e| Value::int(e.start), |e, v| v.put_int(&mut e.start)),
            Column::new("end", Int32, |e| Value::int(e.end), |e, v| v.put_int(&mut e.end)),
            Column::new(
                "confidence",
                Float64,
                |e| Value::ppm(e.confidence_ppm),
                |e, v| v.put_ppm(&mut e.confidence_ppm),
            ),
            Column::new("ambiguous", Boolean, |e| Value::Bool(e.ambiguous), |e, v| v.put_bool(&mut e.ambiguous)),
        ],
    );

    fn row(&self) -> &EntityRow {
        self
    }
}

impl TableRow for CleanChange {
    type Row = CleanChange;
    const DECLARATION: Table<CleanChange> = Table::new(
        "clean_changes",
        Commit::EveryEpoch,
        &[
            Column::new("doc_id", Utf8, |c| Value::str(&c.doc_id), |c, v| v.put_str(&mut c.doc_id)),
            Column::new("rule", Utf8, |c| Value::name(c.rule), |c, v| v.put_name(&mut c.rule)),
            Column::new("count", Int64, |c| Value::int(c.count), |c, v| v.put_int(&mut c.count)),
        ],
    );

    fn row(&self) -> &CleanChange {
        self
    }
}

impl TableRow for EntityCount {
    type Row = EntityCount;
    const DECLARATION: Table<EntityCount> = Table::new(
        "entity_counts",
        Commit::EveryEpoch,
        &[
            Column::new("kind", Utf8, |c| Value::name(c.kind), |c, v| v.put_name(&mut c.kind)),
            Column::new("norm", Utf8, |c| Value::str(&c.norm), |c, v| v.put_str(&mut c.norm)),
            Column::new("documents", Int64, |c| Value::int(c.documents), |c, v| v.put_int(&mut c.documents)),
        ],
    );

    fn row(&self) -> &EntityCount {
        self
    }
}

/// One job run: a row of the `runs` table, written when the run's last epoch commits.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunRow {
    /// Unique id of this run (one job may take several runs when it is resumed).
    pub run_id: String,
    /// The job id: the Delta transaction application id of every commit.
    pub job_id: String,
    /// `ingest` or `stream`.
    pub mode: String,
    /// Start, microseconds since the Unix epoch (UTC).
    pub started_us: i64,
    /// End, microseconds since the Unix epoch (UTC).
    pub finished_us: i64,
    /// First epoch this run committed.
    pub first_epoch: u64,
    /// Last epoch this run committed.
    pub last_epoch: u64,
    /// Input records read by this run.
    pub inputs: u64,
    /// Rows this run added to `documents` (net of retractions).
    pub documents: i64,
    /// Rows this run added to `duplicates` (net of retractions).
    pub duplicates: i64,
    /// Rows this run added to `failures` (net of retractions).
    pub failures: i64,
    /// The run's configuration, as JSON.
    pub config: String,
}

impl TableRow for RunRow {
    type Row = RunRow;
    const DECLARATION: Table<RunRow> = Table::new(
        "runs",
        Commit::EndOfRun,
        &[
            Column::new("run_id", Utf8, |r| Value::str(&r.run_id), |r, v| v.put_str(&mut r.run_id)),
            Column::new("job_id", Utf8, |r| Value::str(&r.job_id), |r, v| v.put_str(&mut r.job_id)),
            Column::new("mode", Utf8, |r| Value::str(&r.mode), |r, v| v.put_str(&mut r.mode)),
            Column::new("started", Timestamp, |r| Value::Int(r.started_us), |r, v| v.put_int(&mut r.started_us)),
            Column::new("finished", Timestamp, |r| Value::Int(r.finished_us), |r, v| v.put_int(&mut r.finished_us)),
            Column::new("first_epoch", Int64, |r| Value::int(r.first_epoch), |r, v| v.put_int(&mut r.first_epoch)),
            Column::new("last_epoch", Int64, |r| Value::int(r.last_epoch), |r, v| v.put_int(&mut r.last_epoch)),
            Column::new("inputs", Int64, |r| Value::int(r.inputs), |r, v| v.put_int(&mut r.inputs)),
            Column::new("documents", Int64, |r| Value::Int(r.documents), |r, v| v.put_int(&mut r.documents)),
            Column::new("duplicates", Int64, |r| Value::Int(r.duplicates), |r, v| v.put_int(&mut r.duplicates)),
            Column::new("failures", Int64, |r| Value::Int(r.failures), |r, v| v.put_int(&mut r.failures)),
            Column::new("config", Utf8, |r| Value::str(&r.config), |r, v| v.put_str(&mut r.config)),
        ],
    );

    fn row(&self) -> &RunRow {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CleanRule, DuplicateKind, EntityKind, PageMethod, Script, Stage};
    use crate::table::TableInfo;

    /// `rows` encoded, decoded and encoded again give the same batch: every declared
    /// column is written and read back, whatever its type, nulls included.
    fn round_trip<R: TableRow<Row = R> + Default + std::fmt::Debug>(rows: Vec<R>) {
        let updates: Vec<(&R, u64, i64)> =
            rows.iter().enumerate().map(|(i, r)| (r, i as u64, 1 - 2 * (i as i64 % 2))).collect();
        let batch = R::DECLARATION.encode(updates.iter().copied()).expect("encode");
        assert_eq!(batch.schema(), R::schema());
        let decoded = R::DECLARATION.decode(&batch).expect("decode");
        let diffs: Vec<i64> = decoded.iter().map(|(_, d)| *d).collect();
        assert_eq!(diffs, updates.iter().map(|u| u.2).collect::<Vec<_>>());
        let again: Vec<(&R, u64, i64)> = decoded.iter().zip(&updates).map(|((r, d), u)| (r, u.1, *d)).collect();
        assert_eq!(R::DECLARATION.encode(again).expect("encode again"), batch, "{}", R::TABLE);
    }

    #[test]
    fn every_table_round_trips() {
        let mut extra = std::collections::BTreeMap::new();
        extra.insert("pages_failed".to_owned(), "2".to_owned());
        round_trip(vec![
            Document { doc_id: "a".into(), text: "天地".into(), content_hash: "h".into(), ..Default::default() },
            Document {
                doc_id: "b".into(),
                source: "s.jsonl#3".into(),
                title: Some("靜夜思".into()),
                author: Some("李白".into()),
                collection: Some("唐詩".into()),
                dynasty: Some("唐".into()),
                extra,
                text: "床前明月光".into(),
                text_simplified: Some("床前明月光".into()),
                script: Script::Hant,
                quality_ppm: 987_654,
                content_hash: "x".into(),
                pages: Some(3),
                ocr_confidence_ppm: Some(912_000),
                ..Default::default()
            },
        ]);
        round_trip(vec![
            PageRow::default(),
            PageRow {
                doc_id: "p".into(),
                page: 2,
                text: "春眠".into(),
                confidence_ppm: Some(1),
                method: PageMethod::TextLayer,
                engine: "tesseract 5.3.0".into(),
                model: Some("chi_tra".into()),
                orientation: Some("vertical".into()),
                layout_by: Some("geometry".into()),
                skew_millidegrees: Some(-1250),
                ms: 748,
                ..Default::default()
            },
        ]);
        round_trip(vec![Failure::new(
            "f.pdf#page=2",
            Some("f".into()),
            Stage::Ocr,
            "past its deadline",
            Default::default(),
        )]);
        round_trip(vec![DuplicateRow {
            doc_id: "b".into(),
            cluster_id: "a".into(),
            kind: DuplicateKind::Near,
            similarity_ppm: 800_000,
        }]);
        round_trip(vec![EntityRow {
            doc_id: "d".into(),
            kind: EntityKind::EraDate,
            text: "貞觀三年".into(),
            norm: "唐貞觀3年".into(),
            year: Some(629),
            start: 4,
            end: 8,
            confidence_ppm: 900_000,
            ambiguous: true,
        }]);
        round_trip(vec![CleanChange { doc_id: "d".into(), rule: CleanRule::PiiBankCard, count: 2 }]);
        round_trip(vec![EntityCount { kind: EntityKind::Place, norm: "長安".into(), documents: 12 }]);
        round_trip(vec![RunRow {
            run_id: "r".into(),
            started_us: 1_700_000_000_000_000,
            inputs: 5,
            ..Default::default()
        }]);
    }

    #[test]
    fn the_registry_names_each_table_once_and_commits_runs_last() {
        let names: Vec<&str> = tables().iter().map(|t: &TableInfo| t.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert_eq!(names.last(), Some(&"runs"));
        assert_eq!(names[..2], ["positions", "inputs"]);
        assert_eq!(data_tables().count(), names.len() - 3);
    }

    #[test]
    fn a_table_on_disk_with_another_schema_is_an_error_naming_the_column() {
        use arrow::datatypes::{DataType, Field, Schema};
        let declared = EntityRow::schema();
        assert!(EntityRow::DECLARATION.check(&declared).is_ok());
        let mut fields: Vec<Field> = declared.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields[4] = Field::new("year", DataType::Utf8, true);
        let err = EntityRow::DECLARATION.check(&Schema::new(fields.clone())).expect_err("year is text");
        assert_eq!(err.to_string(), "table entities, column year: Utf8 on disk where Int32 is declared");
        fields.remove(4);
        let err = EntityRow::DECLARATION.check(&Schema::new(fields)).expect_err("year is missing");
        assert!(err.to_string().starts_with("table entities, column year: declared, and missing"), "{err}");
    }

    #[test]
    fn a_value_that_does_not_fit_is_an_error_naming_the_column() {
        use arrow::array::{Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let schema = Arc::new(arrow::datatypes::Schema::new(vec![
            arrow::datatypes::Field::new("kind", arrow::datatypes::DataType::Utf8, false),
            arrow::datatypes::Field::new("documents", arrow::datatypes::DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec!["PLACE", "CITY"])), Arc::new(Int64Array::from(vec![1, 2]))],
        )
        .expect("batch");
        let err = EntityCount::DECLARATION.decode(&batch).expect_err("CITY is no kind");
        assert_eq!(err.to_string(), "table entity_counts, column kind: row 1: Str(\"CITY\") does not fit the record");
    }
}
