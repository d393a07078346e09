//! Options of the file sources.

use serde::{Deserialize, Serialize};

/// Which input fields hold what. `None` means the default (see each field).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// Id field (default `id`). Records without it get `<relative file>#<index>`.
    pub id: Option<String>,
    /// Text field. Default: the first of `text`, `paragraphs`, `content`, `para`. A string
    /// is taken as it is; an array of strings is joined with newlines.
    pub text: Option<String>,
    /// Title field (default `title`, then `chapter`, `rhythmic`, `subchapter`).
    pub title: Option<String>,
    /// Author field (default `author`).
    pub author: Option<String>,
    /// Collection field (default `collection`).
    pub collection: Option<String>,
    /// Dynasty field (default `dynasty`).
    pub dynasty: Option<String>,
}

impl FieldMap {
    /// Field names tried for the id.
    pub fn id_fields(&self) -> Vec<&str> {
        self.id.as_deref().map_or(vec!["id"], |f| vec![f])
    }
    /// Field names tried for the text.
    pub fn text_fields(&self) -> Vec<&str> {
        self.text.as_deref().map_or(vec!["text", "paragraphs", "content", "para"], |f| vec![f])
    }
    /// Field names tried for the title.
    pub fn title_fields(&self) -> Vec<&str> {
        self.title.as_deref().map_or(vec!["title", "chapter", "rhythmic", "subchapter"], |f| vec![f])
    }
    /// Field names tried for the author.
    pub fn author_fields(&self) -> Vec<&str> {
        vec![self.author.as_deref().unwrap_or("author")]
    }
    /// Field names tried for the collection.
    pub fn collection_fields(&self) -> Vec<&str> {
        vec![self.collection.as_deref().unwrap_or("collection")]
    }
    /// Field names tried for the dynasty.
    pub fn dynasty_fields(&self) -> Vec<&str> {
        vec![self.dynasty.as_deref().unwrap_or("dynasty")]
    }
}

/// Options of a batch read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceOptions {
    /// Field mapping of JSON and Parquet records.
    pub fields: FieldMap,
    /// Also read the folders the chinese-poetry layout skips by default
    /// (`error/`, `strains/`, `rank/`). Default `false`.
    pub include_skipped: bool,
    /// Largest byte range of one JSONL split. Default 8 MiB.
    pub split_bytes: u64,
    /// Input bytes per epoch. Default 16 MiB.
    pub epoch_bytes: u64,
    /// Files larger than this become a `failures` row instead of being read. Default 1 GiB.
    pub max_file_bytes: u64,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            fields: FieldMap::default(),
            include_skipped: false,
            split_bytes: 8 << 20,
            epoch_bytes: 16 << 20,
            max_file_bytes: 1 << 30,
        }
    }
}
