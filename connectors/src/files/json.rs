//! JSON and JSONL records: field mapping, nested sections, ids.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use serde_json::{Map, Value};
use wenflow_engine::{Document, Failure, LineBreaks, Stage};

use std::path::Path;

use super::SourceRecord;
use super::format::{FileFormat, Part};
use super::input::InputFile;
use super::options::SourceOptions;
use super::plan::Split;

/// Metadata a nested section inherits from the sections around it.
#[derive(Clone, Default)]
pub(super) struct Inherited {
    author: Option<String>,
    /// Titles of the enclosing sections, outermost first.
    sections: Vec<String>,
}

/// A whole JSON file: an array of records, one record, or nested sections.
pub(super) struct Json;

impl FileFormat for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["json"]
    }

    fn read(&self, split: &Split, opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) {
        read_json_file(split, opts, emit);
    }
}

/// JSON Lines: one record per line, cut into byte ranges that start and end on line
/// boundaries, so one file spreads over every worker; files of any size.
pub(super) struct JsonLines;

impl FileFormat for JsonLines {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["jsonl", "ndjson"]
    }

    fn size_limited(&self) -> bool {
        false
    }

    fn parts(&self, path: &Path, _size: u64, opts: &SourceOptions) -> Result<Vec<(Part, u64)>, String> {
        let ranges = jsonl_ranges(path, opts.split_bytes).map_err(|e| format!("cannot read file: {e}"))?;
        Ok(ranges.into_iter().map(|(start, end, first)| (Part { start, end, first }, end - start)).collect())
    }

    fn read(&self, split: &Split, opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) {
        read_jsonl_range(split, opts, split.part.start, split.part.end, split.part.first, emit);
    }
}

/// Cuts a JSONL file into byte ranges of about `split_bytes` that start on line starts.
/// Returns `(start, end, index of the first line)`.
pub(super) fn jsonl_ranges(path: &Path, split_bytes: u64) -> std::io::Result<Vec<(u64, u64, u64)>> {
    let mut file = InputFile::open(path)?;
    let mut ranges = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut start_line) = (0u64, 0u64);
    let (mut offset, mut lines) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            lines += 1;
            let line_end = offset + i as u64 + 1;
            if line_end - start >= split_bytes {
                ranges.push((start, line_end, start_line));
                start = line_end;
                start_line = lines;
            }
        }
        offset += n as u64;
    }
    if offset > start {
        ranges.push((start, offset, start_line));
    }
    Ok(ranges)
}

/// Reads a whole JSON file: an array of records, one record, or nested sections.
fn read_json_file(split: &Split, opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) {
    let source = split.path.display().to_string();
    let fail = |stage, msg: String| Err(Failure::new(source.clone(), None, stage, msg, split.pos(0)));
    let bytes = match super::input::read_all(&split.path) {
        Ok(b) => b,
        Err(e) => return emit(fail(Stage::Read, format!("cannot read file: {e}"))),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return emit(fail(Stage::Read, format!("invalid UTF-8 at byte {}", e.valid_up_to())));
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return emit(fail(Stage::Parse, format!("malformed JSON: {e}"))),
    };
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                records(split, opts, item, &[i], &Inherited::default(), emit);
            }
        }
        other => records(split, opts, other, &[0], &Inherited::default(), emit),
    }
}

/// Reads the lines of a JSONL file whose first byte lies in `start..end`.
fn read_jsonl_range(
    split: &Split,
    opts: &SourceOptions,
    start: u64,
    end: u64,
    first_line: u64,
    emit: &mut dyn FnMut(SourceRecord),
) {
    let source = split.path.display().to_string();
    let mut file = match InputFile::open(&split.path).and_then(|mut f| f.seek(SeekFrom::Start(start)).map(|_| f)) {
        Ok(f) => BufReader::with_capacity(1 << 20, f).take(end - start),
        Err(e) => {
            return emit(Err(Failure::new(source, None, Stage::Read, format!("cannot read file: {e}"), split.pos(0))));
        }
    };
    let mut line = Vec::new();
    let mut index = first_line;
    loop {
        line.clear();
        match file.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let error =
                    format!("read error at line {}: {e}; bytes up to {end} of this split were not read", index + 1);
                emit(Err(Failure::new(format!("{source}#{index}"), None, Stage::Read, error, split.pos(index))));
                break;
            }
        }
        let at = index;
        index += 1;
        let bytes = if at == 0 { line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line) } else { &line[..] };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let fail = |stage, msg: String| Err(Failure::new(format!("{source}#{at}"), None, stage, msg, split.pos(at)));
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                emit(fail(Stage::Read, format!("invalid UTF-8 on line {} at byte {}", at + 1, e.valid_up_to())));
                continue;
            }
        };
        match serde_json::from_str::<Value>(text) {
            Ok(v) => records(split, opts, v, &[at as usize], &Inherited::default(), emit),
            Err(e) => emit(fail(Stage::Parse, format!("malformed JSON on line {}: {e}", at + 1))),
        }
    }
}

/// The position of a (possibly nested) record: its path joined with dots.
fn index_string(path: &[usize]) -> String {
    path.iter().map(usize::to_string).collect::<Vec<_>>().join(".")
}

fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn first_string(obj: &Map<String, Value>, fields: &[&str]) -> Option<String> {
    fields.iter().find_map(|f| obj.get(*f).and_then(string_of)).filter(|s| !s.is_empty())
}

/// Text of a field: a string, or an array of strings joined with newlines. Line breaks in
/// structured records separate paragraphs or verses, so cleaning keeps them.
fn text_of(v: &Value) -> Option<(String, LineBreaks)> {
    match v {
        Value::String(s) => Some((s.clone(), LineBreaks::Paragraph)),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let lines: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            Some((lines.join("\n"), LineBreaks::Paragraph))
        }
        _ => None,
    }
}

/// Turns one JSON value into documents (recursing into nested sections) or a failure.
pub(super) fn records(
    split: &Split,
    opts: &SourceOptions,
    value: Value,
    path: &[usize],
    inherited: &Inherited,
    emit: &mut dyn FnMut(SourceRecord),
) {
    let index = index_string(path);
    let source = format!("{}#{index}", split.path.display());
    let pos = split.pos(path.first().copied().unwrap_or(0) as u64);
    let Value::Object(obj) = value else {
        return emit(Err(Failure::new(source, None, Stage::Parse, "record is not a JSON object", pos)));
    };
    let fields = &opts.fields;
    let text_fields = fields.text_fields();
    let text = text_fields.iter().find_map(|f| obj.get(*f).and_then(text_of));
    // Sections: a `content` (or text field) that is an array of objects, e.g. 蒙学 books
    // (content → sections → poems) and poems in parts (paragraphs → subchapters).
    let nested: Vec<&Value> = if text.is_some() {
        Vec::new()
    } else {
        std::iter::once("content")
            .chain(text_fields.iter().copied())
            .find_map(|f| match obj.get(f) {
                Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_object) => {
                    Some(items.iter().collect())
                }
                _ => None,
            })
            .unwrap_or_default()
    };
    let title = first_string(&obj, &fields.title_fields());
    let author = first_string(&obj, &fields.author_fields()).or_else(|| inherited.author.clone());

    if !nested.is_empty() {
        let mut inner = Inherited { author, sections: inherited.sections.clone() };
        inner.sections.extend(title);
        for (i, child) in nested.into_iter().enumerate() {
            let mut child_path = path.to_vec();
            child_path.push(i);
            records(split, opts, child.clone(), &child_path, &inner, emit);
        }
        return;
    }

    let id = first_string(&obj, &fields.id_fields());
    let Some((text, line_breaks)) = text else {
        let error = format!("record has no text field (tried {})", text_fields.join(", "));
        return emit(Err(Failure::new(source, id, Stage::Parse, error, pos)));
    };

    let mut collection = first_string(&obj, &fields.collection_fields());
    let mut dynasty = first_string(&obj, &fields.dynasty_fields());
    let mut extra = BTreeMap::new();
    let known: Vec<&str> = [
        fields.id_fields(),
        text_fields.clone(),
        fields.title_fields(),
        fields.author_fields(),
        fields.collection_fields(),
        fields.dynasty_fields(),
    ]
    .concat();
    for (k, v) in &obj {
        if known.contains(&k.as_str()) {
            continue;
        }
        let s = match v {
            Value::Array(items) if items.iter().all(Value::is_string) => {
                Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"))
            }
            other => string_of(other),
        };
        if let Some(s) = s.filter(|s| !s.is_empty()) {
            extra.insert(k.clone(), s);
        }
    }
    if !inherited.sections.is_empty() {
        extra.insert("sections".into(), inherited.sections.join(" / "));
    }

    let doc_id = match (&split.layout, &id) {
        (Some(layout), Some(id)) => format!("{}/{id}", layout.collection),
        (None, Some(id)) => id.clone(),
        (_, None) => format!("{}#{index}", split.rel),
    };
    if let Some(layout) = &split.layout {
        if let Some(own) = collection.replace(layout.collection.clone()).filter(|c| *c != layout.collection) {
            extra.insert("collection".into(), own);
        }
        if let Some(d) = &layout.dynasty
            && let Some(own) = dynasty.replace(d.clone()).filter(|own| own != d)
        {
            extra.insert("dynasty".into(), own);
        }
    } else if collection.is_none() {
        collection = split.folder.clone();
    }
    emit(Ok(Document {
        doc_id,
        source,
        title: title.or_else(|| inherited.sections.last().cloned()),
        author,
        collection,
        dynasty,
        extra,
        text,
        line_breaks,
        pos,
        ..Document::default()
    }))
}

/// The records of one JSON message (a Kafka value): the same field mapping as a JSONL
/// line. `source` names the message (`kafka://topic/partition@offset`), `name` is what a
/// record without an id field is called (the message key, else its source), `pos` its
/// position.
pub fn message_records(
    source: &str,
    name: &str,
    pos: wenflow_engine::SourcePos,
    payload: &[u8],
    opts: &SourceOptions,
    emit: &mut dyn FnMut(SourceRecord),
) {
    let split = Split {
        unit: pos.unit,
        epoch: 0,
        path: std::path::PathBuf::from(source),
        rel: name.to_owned(),
        format: "jsonl".into(),
        part: Part::default(),
        error: None,
        bytes: payload.len() as u64,
        layout: None,
        folder: None,
        stamp: None,
    };
    let fail = |stage, msg: String| Err(Failure::new(source.to_owned(), Some(name.to_owned()), stage, msg, pos));
    let text = match std::str::from_utf8(payload) {
        Ok(t) => t,
        Err(e) => return emit(fail(Stage::Read, format!("invalid UTF-8 at byte {}", e.valid_up_to()))),
    };
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(e) => return emit(fail(Stage::Parse, format!("malformed JSON: {e}"))),
    };
    let whole = format!("{name}#0");
    records(&split, opts, value, &[0], &Inherited::default(), &mut |mut r| {
        match &mut r {
            Ok(d) => {
                if d.doc_id == whole {
                    d.doc_id = name.to_owned();
                }
                d.source = source.to_owned();
                d.pos = pos;
            }
            Err(f) => {
                f.source = source.to_owned();
                f.doc_id.get_or_insert_with(|| name.to_owned());
                f.pos = pos;
            }
        }
        emit(r)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::PoetryFile;

    fn split(layout: Option<PoetryFile>) -> Split {
        Split {
            unit: 0,
            epoch: 1,
            path: "/x/a.json".into(),
            rel: "a.json".into(),
            format: "json".into(),
            part: Part::default(),
            error: None,
            bytes: 0,
            layout,
            folder: None,
            stamp: None,
        }
    }

    fn run(split: &Split, v: Value) -> Vec<SourceRecord> {
        let mut out = Vec::new();
        records(split, &SourceOptions::default(), v, &[3], &Inherited::default(), &mut |r| out.push(r));
        out
    }

    #[test]
    fn paragraphs_join_with_newlines_and_missing_id_gets_file_index() {
        let out = run(&split(None), serde_json::json!({"title": "t", "paragraphs": ["一", "二"], "tags": ["a", "b"]}));
        let d = out[0].as_ref().expect("doc");
        assert_eq!(d.text, "一\n二");
        assert_eq!(d.doc_id, "a.json#3");
        assert_eq!(d.line_breaks, LineBreaks::Paragraph);
        assert_eq!(d.extra.get("tags").map(String::as_str), Some("a\nb"));
    }

    #[test]
    fn nested_sections_become_documents() {
        let v = serde_json::json!({"title": "千家诗", "author": "x", "content": [{"type": "五绝", "content": [{"chapter": "春晓", "paragraphs": ["春眠不觉晓"]}]}]});
        let out = run(&split(Some(PoetryFile { collection: "蒙学".into(), dynasty: None })), v);
        assert_eq!(out.len(), 1);
        let d = out[0].as_ref().expect("doc");
        assert_eq!(d.title.as_deref(), Some("春晓"));
        assert_eq!(d.author.as_deref(), Some("x"));
        assert_eq!(d.doc_id, "a.json#3.0.0");
        assert_eq!(d.collection.as_deref(), Some("蒙学"));
    }

    #[test]
    fn layout_ids_are_namespaced_by_collection() {
        let out = run(
            &split(Some(PoetryFile { collection: "全唐诗".into(), dynasty: Some("唐".into()) })),
            serde_json::json!({"id": "u1", "paragraphs": ["x"], "dynasty": "tang"}),
        );
        let d = out[0].as_ref().expect("doc");
        assert_eq!(d.doc_id, "全唐诗/u1");
        assert_eq!(d.dynasty.as_deref(), Some("唐"));
        assert_eq!(d.extra.get("dynasty").map(String::as_str), Some("tang"));
    }

    #[test]
    fn record_without_text_is_a_failure() {
        let out = run(&split(None), serde_json::json!({"id": 7, "name": "x"}));
        let f = out[0].as_ref().expect_err("failure");
        assert_eq!(f.stage, Stage::Parse);
        assert_eq!(f.doc_id.as_deref(), Some("7"));
    }
}
