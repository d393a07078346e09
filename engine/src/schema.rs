//! Arrow schemas of the output tables and the conversion of records into Arrow batches.
//!
//! Every table is a change log: each row carries `time` (the epoch) and `diff` (+1 / -1).
//! The current state of a table is its rows with the diffs folded (see `wenflow-queries`).

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use std::borrow::Borrow;

use crate::record::{CleanChange, Document, DuplicateRow, EntityCount, EntityRow, Failure, PageRow, Shared};
use crate::{Epoch, Result};

/// Column name of the epoch in every table.
pub const TIME: &str = "time";
/// Column name of the change (+1 / -1) in every table.
pub const DIFF: &str = "diff";

/// A record type that is written as a row of an output table.
pub trait TableRow: Sized + 'static {
    /// The table's name (its directory under the output root).
    const TABLE: &'static str;
    /// The table's Arrow schema, `time` and `diff` included as the last two columns.
    fn schema() -> SchemaRef;
    /// Converts updates (of records or of anything that borrows as one, such as a
    /// [`Shared`] record) into one batch of [`TableRow::schema`].
    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch>;
}

impl<T: TableRow> TableRow for Shared<T> {
    const TABLE: &'static str = T::TABLE;

    fn schema() -> SchemaRef {
        T::schema()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let inner: Vec<(&T, Epoch, i64)> = rows.iter().map(|(r, t, d)| (&*r.borrow().0, *t, *d)).collect();
        T::to_batch(&inner)
    }
}

fn with_time_diff(mut fields: Vec<Field>) -> SchemaRef {
    fields.push(Field::new(TIME, DataType::Int64, false));
    fields.push(Field::new(DIFF, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// Appends the `time` and `diff` columns of `rows` to `columns` and builds the batch.
fn finish<R>(schema: SchemaRef, mut columns: Vec<ArrayRef>, rows: &[(R, Epoch, i64)]) -> Result<RecordBatch> {
    let mut time = Int64Builder::with_capacity(rows.len());
    let mut diff = Int64Builder::with_capacity(rows.len());
    for (_, t, d) in rows {
        time.append_value(i64::try_from(*t).unwrap_or(i64::MAX));
        diff.append_value(*d);
    }
    columns.push(Arc::new(time.finish()));
    columns.push(Arc::new(diff.finish()));
    Ok(RecordBatch::try_new(schema, columns)?)
}

static DOCUMENTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![
        utf8("doc_id", false),
        utf8("source", false),
        utf8("title", true),
        utf8("author", true),
        utf8("collection", true),
        utf8("dynasty", true),
        utf8("extra", true),
        utf8("text", false),
        utf8("text_simplified", true),
        utf8("script", false),
        Field::new("chars", DataType::Int64, false),
        Field::new("quality", DataType::Float64, false),
        utf8("content_hash", false),
        Field::new("pages", DataType::Int32, true),
        Field::new("ocr_confidence", DataType::Float64, true),
    ])
});

impl TableRow for Document {
    const TABLE: &'static str = "documents";

    fn schema() -> SchemaRef {
        DOCUMENTS.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let n = rows.len();
        let mut doc_id = StringBuilder::with_capacity(n, n * 40);
        let mut source = StringBuilder::with_capacity(n, n * 40);
        let mut title = StringBuilder::new();
        let mut author = StringBuilder::new();
        let mut collection = StringBuilder::new();
        let mut dynasty = StringBuilder::new();
        let mut extra = StringBuilder::new();
        let mut text =
            StringBuilder::with_capacity(n, rows.iter().map(|r| Borrow::<Document>::borrow(&r.0).text.len()).sum());
        let mut simplified = StringBuilder::with_capacity(
            n,
            rows.iter().map(|r| Borrow::<Document>::borrow(&r.0).text_simplified.as_ref().map_or(0, String::len)).sum(),
        );
        let mut script = StringBuilder::with_capacity(n, n * 4);
        let mut chars = Int64Builder::with_capacity(n);
        let mut quality = Float64Builder::with_capacity(n);
        let mut hash = StringBuilder::with_capacity(n, n * 32);
        let mut pages = Int32Builder::with_capacity(n);
        let mut ocr_confidence = Float64Builder::with_capacity(n);
        for (d, _, _) in rows {
            let d: &Document = d.borrow();
            pages.append_option(d.pages.map(|p| i32::try_from(p).unwrap_or(i32::MAX)));
            ocr_confidence.append_option(d.ocr_confidence_ppm.map(|c| f64::from(c) / 1_000_000.0));
            doc_id.append_value(&d.doc_id);
            source.append_value(&d.source);
            title.append_option(d.title.as_deref());
            author.append_option(d.author.as_deref());
            collection.append_option(d.collection.as_deref());
            dynasty.append_option(d.dynasty.as_deref());
            if d.extra.is_empty() {
                extra.append_null();
            } else {
                extra.append_value(serde_json::to_string(&d.extra).unwrap_or_default());
            }
            text.append_value(&d.text);
            simplified.append_option(d.text_simplified.as_deref());
            script.append_value(d.script.as_str());
            chars.append_value(d.chars() as i64);
            quality.append_value(f64::from(d.quality_ppm) / 1_000_000.0);
            hash.append_value(&d.content_hash);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(doc_id.finish()),
            Arc::new(source.finish()),
            Arc::new(title.finish()),
            Arc::new(author.finish()),
            Arc::new(collection.finish()),
            Arc::new(dynasty.finish()),
            Arc::new(extra.finish()),
            Arc::new(text.finish()),
            Arc::new(simplified.finish()),
            Arc::new(script.finish()),
            Arc::new(chars.finish()),
            Arc::new(quality.finish()),
            Arc::new(hash.finish()),
            Arc::new(pages.finish()),
            Arc::new(ocr_confidence.finish()),
        ];
        finish(Self::schema(), columns, rows)
    }
}

static PAGES: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![
        utf8("doc_id", false),
        Field::new("page", DataType::Int32, false),
        utf8("text", false),
        Field::new("confidence", DataType::Float64, true),
        utf8("method", false),
        utf8("engine", false),
        utf8("model", true),
        utf8("orientation", true),
        utf8("layout_by", true),
        Field::new("skew", DataType::Float64, true),
        Field::new("ms", DataType::Int64, false),
    ])
});

impl TableRow for PageRow {
    const TABLE: &'static str = "pages";

    fn schema() -> SchemaRef {
        PAGES.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let n = rows.len();
        let (mut doc_id, mut page, mut text) =
            (StringBuilder::new(), Int32Builder::with_capacity(n), StringBuilder::new());
        let (mut confidence, mut method, mut engine) =
            (Float64Builder::with_capacity(n), StringBuilder::new(), StringBuilder::new());
        let (mut model, mut orientation, mut ms) = (StringBuilder::new(), StringBuilder::new(), Int64Builder::new());
        let (mut layout_by, mut skew) = (StringBuilder::new(), Float64Builder::with_capacity(n));
        for (r, _, _) in rows {
            let r: &PageRow = r.borrow();
            doc_id.append_value(&r.doc_id);
            page.append_value(i32::try_from(r.page).unwrap_or(i32::MAX));
            text.append_value(&r.text);
            confidence.append_option(r.confidence_ppm.map(|c| f64::from(c) / 1_000_000.0));
            method.append_value(r.method.as_str());
            engine.append_value(&r.engine);
            model.append_option(r.model.as_deref());
            orientation.append_option(r.orientation.as_deref());
            layout_by.append_option(r.layout_by.as_deref());
            skew.append_option(r.skew_millidegrees.map(|m| f64::from(m) / 1000.0));
            ms.append_value(i64::try_from(r.ms).unwrap_or(i64::MAX));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(doc_id.finish()),
            Arc::new(page.finish()),
            Arc::new(text.finish()),
            Arc::new(confidence.finish()),
            Arc::new(method.finish()),
            Arc::new(engine.finish()),
            Arc::new(model.finish()),
            Arc::new(orientation.finish()),
            Arc::new(layout_by.finish()),
            Arc::new(skew.finish()),
            Arc::new(ms.finish()),
        ];
        finish(Self::schema(), columns, rows)
    }
}

static FAILURES: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![
        utf8("source", false),
        utf8("doc_id", true),
        utf8("stage", false),
        utf8("error", false),
        Field::new("attempts", DataType::Int32, false),
    ])
});

impl TableRow for Failure {
    const TABLE: &'static str = "failures";

    fn schema() -> SchemaRef {
        FAILURES.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let mut source = StringBuilder::new();
        let mut doc_id = StringBuilder::new();
        let mut stage = StringBuilder::new();
        let mut error = StringBuilder::new();
        let mut attempts = Int32Builder::new();
        for (f, _, _) in rows {
            let f: &Failure = f.borrow();
            source.append_value(&f.source);
            doc_id.append_option(f.doc_id.as_deref());
            stage.append_value(f.stage.as_str());
            error.append_value(&f.error);
            attempts.append_value(i32::try_from(f.attempts).unwrap_or(i32::MAX));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(source.finish()),
            Arc::new(doc_id.finish()),
            Arc::new(stage.finish()),
            Arc::new(error.finish()),
            Arc::new(attempts.finish()),
        ];
        finish(Self::schema(), columns, rows)
    }
}

static DUPLICATES: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![
        utf8("doc_id", false),
        utf8("cluster_id", false),
        utf8("kind", false),
        Field::new("similarity", DataType::Float64, false),
    ])
});

impl TableRow for DuplicateRow {
    const TABLE: &'static str = "duplicates";

    fn schema() -> SchemaRef {
        DUPLICATES.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let mut doc_id = StringBuilder::new();
        let mut cluster_id = StringBuilder::new();
        let mut kind = StringBuilder::new();
        let mut similarity = Float64Builder::new();
        for (r, _, _) in rows {
            let r: &DuplicateRow = r.borrow();
            doc_id.append_value(&r.doc_id);
            cluster_id.append_value(&r.cluster_id);
            kind.append_value(r.kind.as_str());
            similarity.append_value(f64::from(r.similarity_ppm) / 1_000_000.0);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(doc_id.finish()),
            Arc::new(cluster_id.finish()),
            Arc::new(kind.finish()),
            Arc::new(similarity.finish()),
        ];
        finish(Self::schema(), columns, rows)
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

static RUNS: LazyLock<SchemaRef> = LazyLock::new(|| {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    with_time_diff(vec![
        utf8("run_id", false),
        utf8("job_id", false),
        utf8("mode", false),
        Field::new("started", ts.clone(), false),
        Field::new("finished", ts, false),
        Field::new("first_epoch", DataType::Int64, false),
        Field::new("last_epoch", DataType::Int64, false),
        Field::new("inputs", DataType::Int64, false),
        Field::new("documents", DataType::Int64, false),
        Field::new("duplicates", DataType::Int64, false),
        Field::new("failures", DataType::Int64, false),
        utf8("config", false),
    ])
});

impl TableRow for RunRow {
    const TABLE: &'static str = "runs";

    fn schema() -> SchemaRef {
        RUNS.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let mut run_id = StringBuilder::new();
        let mut job_id = StringBuilder::new();
        let mut mode = StringBuilder::new();
        let mut started = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        let mut finished = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        let mut ints: Vec<Int64Builder> = (0..6).map(|_| Int64Builder::new()).collect();
        let mut config = StringBuilder::new();
        for (r, _, _) in rows {
            let r: &RunRow = r.borrow();
            run_id.append_value(&r.run_id);
            job_id.append_value(&r.job_id);
            mode.append_value(&r.mode);
            started.append_value(r.started_us);
            finished.append_value(r.finished_us);
            let values =
                [r.first_epoch as i64, r.last_epoch as i64, r.inputs as i64, r.documents, r.duplicates, r.failures];
            for (b, v) in ints.iter_mut().zip(values) {
                b.append_value(v);
            }
            config.append_value(&r.config);
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(run_id.finish()),
            Arc::new(job_id.finish()),
            Arc::new(mode.finish()),
            Arc::new(started.finish()),
            Arc::new(finished.finish()),
        ];
        columns.extend(ints.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.push(Arc::new(config.finish()));
        finish(Self::schema(), columns, rows)
    }
}

static ENTITIES: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![
        utf8("doc_id", false),
        utf8("kind", false),
        utf8("text", false),
        utf8("norm", false),
        Field::new("year", DataType::Int32, true),
        Field::new("start", DataType::Int32, false),
        Field::new("end", DataType::Int32, false),
        Field::new("confidence", DataType::Float64, false),
        Field::new("ambiguous", DataType::Boolean, false),
    ])
});

impl TableRow for EntityRow {
    const TABLE: &'static str = "entities";

    fn schema() -> SchemaRef {
        ENTITIES.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let (mut doc_id, mut kind, mut text, mut norm) =
            (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
        let (mut year, mut start, mut end) = (Int32Builder::new(), Int32Builder::new(), Int32Builder::new());
        let (mut confidence, mut ambiguous) = (Float64Builder::new(), BooleanBuilder::new());
        for (e, _, _) in rows {
            let e: &EntityRow = e.borrow();
            doc_id.append_value(&e.doc_id);
            kind.append_value(e.kind.as_str());
            text.append_value(&e.text);
            norm.append_value(&e.norm);
            year.append_option(e.year);
            start.append_value(i32::try_from(e.start).unwrap_or(i32::MAX));
            end.append_value(i32::try_from(e.end).unwrap_or(i32::MAX));
            confidence.append_value(f64::from(e.confidence_ppm) / 1_000_000.0);
            ambiguous.append_value(e.ambiguous);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(doc_id.finish()),
            Arc::new(kind.finish()),
            Arc::new(text.finish()),
            Arc::new(norm.finish()),
            Arc::new(year.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(confidence.finish()),
            Arc::new(ambiguous.finish()),
        ];
        finish(Self::schema(), columns, rows)
    }
}

static CLEAN_CHANGES: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![utf8("doc_id", false), utf8("rule", false), Field::new("count", DataType::Int64, false)])
});

impl TableRow for CleanChange {
    const TABLE: &'static str = "clean_changes";

    fn schema() -> SchemaRef {
        CLEAN_CHANGES.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let (mut doc_id, mut rule, mut count) = (StringBuilder::new(), StringBuilder::new(), Int64Builder::new());
        for (c, _, _) in rows {
            let c: &CleanChange = c.borrow();
            doc_id.append_value(&c.doc_id);
            rule.append_value(c.rule.as_str());
            count.append_value(i64::from(c.count));
        }
        let columns: Vec<ArrayRef> = vec![Arc::new(doc_id.finish()), Arc::new(rule.finish()), Arc::new(count.finish())];
        finish(Self::schema(), columns, rows)
    }
}

static ENTITY_COUNTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_time_diff(vec![utf8("kind", false), utf8("norm", false), Field::new("documents", DataType::Int64, false)])
});

impl TableRow for EntityCount {
    const TABLE: &'static str = "entity_counts";

    fn schema() -> SchemaRef {
        ENTITY_COUNTS.clone()
    }

    fn to_batch<B: Borrow<Self>>(rows: &[(B, Epoch, i64)]) -> Result<RecordBatch> {
        let (mut kind, mut norm, mut documents) = (StringBuilder::new(), StringBuilder::new(), Int64Builder::new());
        for (c, _, _) in rows {
            let c: &EntityCount = c.borrow();
            kind.append_value(c.kind.as_str());
            norm.append_value(&c.norm);
            documents.append_value(c.documents);
        }
        let columns: Vec<ArrayRef> =
            vec![Arc::new(kind.finish()), Arc::new(norm.finish()), Arc::new(documents.finish())];
        finish(Self::schema(), columns, rows)
    }
}

/// The tables every epoch commits, in commit order. A job resumes after the last epoch
/// all of them hold.
pub const DATA_TABLES: [&str; 7] =
    ["documents", "duplicates", "failures", "entities", "entity_counts", "clean_changes", "pages"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_batch_has_schema_columns() {
        let doc =
            Document { doc_id: "a".into(), text: "天地".into(), content_hash: "h".into(), ..Default::default() };
        let batch = Document::to_batch(&[(doc, 3, 1)]).expect("batch");
        assert_eq!(batch.num_columns(), Document::schema().fields().len());
        assert_eq!(batch.num_rows(), 1);
    }
}
