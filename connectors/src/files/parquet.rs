//! Parquet files: rows mapped to documents with the same field mapping as JSON records.

use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};
use wenflow_engine::{Failure, Stage};

use super::SourceRecord;
use super::format::{FileFormat, Part};
use super::input::InputFile;
use super::json::{Inherited, records};
use super::options::SourceOptions;
use super::plan::Split;

/// Parquet files: a part is a run of row groups (`start..end`), `first` its first row.
pub(super) struct Parquet;

impl FileFormat for Parquet {
    fn name(&self) -> &'static str {
        "parquet"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["parquet"]
    }

    fn parts(&self, path: &Path, _size: u64, opts: &SourceOptions) -> Result<Vec<(Part, u64)>, String> {
        let groups = row_group_ranges(path, opts.split_bytes).map_err(|e| format!("cannot read parquet file: {e}"))?;
        Ok(groups
            .into_iter()
            .map(|(groups, first, bytes)| {
                let start = groups.first().copied().unwrap_or(0) as u64;
                (Part { start, end: start + groups.len() as u64, first }, bytes)
            })
            .collect())
    }

    fn read(&self, split: &Split, opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) {
        let groups: Vec<usize> = (split.part.start..split.part.end).map(|g| g as usize).collect();
        read_parquet(split, opts, &groups, split.part.first, emit);
    }
}

/// Groups the consecutive row groups of a Parquet file into runs of about `split_bytes`
/// (compressed). Returns `(row groups, index of the first row, bytes)`.
fn row_group_ranges(path: &Path, split_bytes: u64) -> Result<Vec<(Vec<usize>, u64, u64)>, String> {
    let file = InputFile::open(path).map_err(|e| e.to_string())?;
    let reader = SerializedFileReader::new(file).map_err(|e| e.to_string())?;
    let mut out: Vec<(Vec<usize>, u64, u64)> = Vec::new();
    let mut row = 0u64;
    for (i, rg) in reader.metadata().row_groups().iter().enumerate() {
        let bytes = u64::try_from(rg.compressed_size()).unwrap_or(0);
        match out.last_mut() {
            Some((groups, _, size)) if *size + bytes <= split_bytes => {
                groups.push(i);
                *size += bytes;
            }
            _ => out.push((vec![i], row, bytes)),
        }
        row += u64::try_from(rg.num_rows()).unwrap_or(0);
    }
    Ok(out)
}

/// Reads the given row groups, row by row.
fn read_parquet(
    split: &Split,
    opts: &SourceOptions,
    row_groups: &[usize],
    first_row: u64,
    emit: &mut dyn FnMut(SourceRecord),
) {
    let source = split.path.display().to_string();
    let fail = |msg: String| Err(Failure::new(source.clone(), None, Stage::Read, msg, split.pos(first_row)));
    let reader = InputFile::open(&split.path)
        .map_err(|e| e.to_string())
        .and_then(|f| ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| e.to_string()))
        .and_then(|b| b.with_row_groups(row_groups.to_vec()).with_batch_size(4096).build().map_err(|e| e.to_string()));
    let reader = match reader {
        Ok(r) => r,
        Err(e) => return emit(fail(format!("cannot read parquet file: {e}"))),
    };
    let mut row = first_row;
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                return emit(fail(format!("cannot decode parquet rows from row {row}: {e}")));
            }
        };
        let mut json = Vec::new();
        {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut json);
            if let Err(e) = writer.write(&batch).and_then(|_| writer.finish()) {
                return emit(fail(format!("cannot convert parquet rows from row {row}: {e}")));
            }
        }
        for line in json.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let at = row;
            row += 1;
            match serde_json::from_slice(line) {
                Ok(value) => records(split, opts, value, &[at as usize], &Inherited::default(), emit),
                Err(e) => emit(Err(Failure::new(
                    format!("{source}#{at}"),
                    None,
                    Stage::Parse,
                    format!("row {at}: {e}"),
                    split.pos(at),
                ))),
            }
        }
    }
}
