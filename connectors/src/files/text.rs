//! Plain text files: one document per file, encoding detected (UTF-8, UTF-16 with a BOM,
//! GB18030, Big5, …) and decoded.

use wenflow_engine::{Document, Failure, LineBreaks, Stage};

use super::SourceRecord;
use super::format::FileFormat;
use super::options::SourceOptions;
use super::plan::Split;

/// Decodes `bytes`: UTF-8 when valid, a BOM's encoding when present, else the encoding
/// `chardetng` guesses. Fails when the guess still leaves undecodable bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<(String, &'static str), String> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return if had_errors {
            Err(format!("invalid {} text", enc.name()))
        } else {
            Ok((text.into_owned(), enc.name()))
        };
    }
    if bytes.contains(&0) {
        return Err("binary content (NUL bytes), not a text file".into());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), "UTF-8"));
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let enc = detector.guess(None, false);
    let (text, _, had_errors) = enc.decode(bytes);
    if had_errors {
        return Err(format!("not valid UTF-8, and not valid {} either", enc.name()));
    }
    Ok((text.into_owned(), enc.name()))
}

/// A text file (`.txt`, `.md`) in UTF-8, GB18030 or Big5: one document.
pub(super) struct Text;

impl FileFormat for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["txt", "md"]
    }

    fn read(&self, split: &Split, _opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) {
        read_text_file(split, emit);
    }
}

/// Reads a text file as one document; `doc_id` is the path relative to the input root.
fn read_text_file(split: &Split, emit: &mut dyn FnMut(SourceRecord)) {
    let source = split.path.display().to_string();
    let bytes = match super::input::read_all(&split.path) {
        Ok(b) => b,
        Err(e) => {
            return emit(Err(Failure::new(
                source,
                Some(split.rel.clone()),
                Stage::Read,
                format!("cannot read file: {e}"),
                split.pos(0),
            )));
        }
    };
    match decode(&bytes) {
        Ok((text, encoding)) => {
            let mut extra = std::collections::BTreeMap::new();
            if encoding != "UTF-8" {
                extra.insert("encoding".to_owned(), encoding.to_owned());
            }
            let title = split.path.file_stem().map(|s| s.to_string_lossy().into_owned());
            emit(Ok(Document {
                doc_id: split.rel.clone(),
                source,
                title,
                collection: split.layout.as_ref().map(|l| l.collection.clone()).or_else(|| split.folder.clone()),
                dynasty: split.layout.as_ref().and_then(|l| l.dynasty.clone()),
                extra,
                text,
                line_breaks: LineBreaks::Layout,
                pos: split.pos(0),
                ..Document::default()
            }))
        }
        Err(error) => emit(Err(Failure::new(source, Some(split.rel.clone()), Stage::Read, error, split.pos(0)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gb18030_and_big5() {
        let text = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。".repeat(4);
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        assert_eq!(decode(&gbk).expect("gb18030").0, text);
        let (big5, _, _) = encoding_rs::BIG5.encode(&text);
        let (decoded, enc) = decode(&big5).expect("big5");
        assert_eq!(decoded, text);
        assert_eq!(enc, "Big5");
    }

    #[test]
    fn utf8_passes_through() {
        assert_eq!(decode("天地".as_bytes()).expect("utf8"), ("天地".to_string(), "UTF-8"));
    }
}
