//! Rendering query results.

use arrow::record_batch::RecordBatch;

use crate::Result;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            other => Err(format!("unknown format {other:?} (table, csv or json)")),
        }
    }
}

/// Renders `batches` in `format`.
pub fn format_batches(batches: &[RecordBatch], format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Table => Ok(arrow::util::pretty::pretty_format_batches(batches)?.to_string()),
        OutputFormat::Csv => {
            let mut buf = Vec::new();
            {
                let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
                for b in batches {
                    writer.write(b)?;
                }
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        OutputFormat::Json => {
            let mut buf = Vec::new();
            {
                let mut writer = arrow::json::ArrayWriter::new(&mut buf);
                for b in batches {
                    writer.write(b)?;
                }
                writer.finish()?;
            }
            if buf.is_empty() {
                buf.extend_from_slice(b"[]");
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("collection", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec![Some("全唐诗"), None])), Arc::new(Int64Array::from(vec![3, 4]))],
        )
        .expect("batch")
    }

    #[test]
    fn csv_has_a_header_and_rows() {
        assert_eq!(format_batches(&[batch()], OutputFormat::Csv).expect("csv"), "collection,n\n全唐诗,3\n,4\n");
    }

    #[test]
    fn json_is_an_array_of_objects() {
        let json: serde_json::Value =
            serde_json::from_str(&format_batches(&[batch()], OutputFormat::Json).expect("json")).expect("parse");
        assert_eq!(json, serde_json::json!([{"collection": "全唐诗", "n": 3}, {"n": 4}]));
        assert_eq!(format_batches(&[], OutputFormat::Json).expect("empty"), "[]");
    }

    #[test]
    fn table_is_aligned() {
        let t = format_batches(&[batch()], OutputFormat::Table).expect("table");
        assert!(t.contains("| collection | n |"), "{t}");
    }
}
