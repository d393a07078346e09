//! Query results as JSON for the page: rows as arrays in column order, nulls explicit.

use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use serde_json::Value;

/// The column names of `batches` and their rows, each an array of JSON values.
pub(crate) fn rows(batches: &[RecordBatch]) -> Result<(Vec<String>, Vec<Vec<Value>>), ArrowError> {
    let columns: Vec<String> =
        batches.first().map(|b| b.schema().fields().iter().map(|f| f.name().clone()).collect()).unwrap_or_default();
    let rows = objects(batches)?
        .into_iter()
        .map(|mut o| columns.iter().map(|c| o.remove(c).unwrap_or(Value::Null)).collect())
        .collect();
    Ok((columns, rows))
}

/// The rows of `batches` as JSON objects keyed by column name.
pub(crate) fn objects(batches: &[RecordBatch]) -> Result<Vec<serde_json::Map<String, Value>>, ArrowError> {
    let mut buf = Vec::new();
    {
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::JsonArray>(&mut buf);
        for b in batches {
            writer.write(b)?;
        }
        writer.finish()?;
    }
    if buf.is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_slice::<Value>(&buf) {
        Ok(Value::Array(rows)) => Ok(rows
            .into_iter()
            .filter_map(|r| match r {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect()),
        Ok(_) => Ok(Vec::new()),
        Err(e) => Err(ArrowError::JsonError(e.to_string())),
    }
}
