//! The chinese-poetry package layout (npm `chinese-poetry`, MIT): which files hold texts,
//! which collection each belongs to, and the dynasty the collection implies.
//!
//! Detected when a directory (or its `dist/` folder) holds `quantangshi/`,
//! `yudingquantangshi/` or `songci/`. Author lists, tone patterns (`strains/`),
//! popularity counts (`rank/`), flagged copies (`quantangshi/error/`), the glyph table
//! `表面结构字.json` and collection intros are not texts and are skipped by default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What the layout says about one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoetryFile {
    /// The collection, e.g. `全唐诗`.
    pub collection: String,
    /// The dynasty the collection implies, when it implies one.
    pub dynasty: Option<String>,
}

/// The folder the layout starts at, if `root` is (or contains) the package.
pub fn detect(root: &Path) -> Option<PathBuf> {
    let markers = ["quantangshi", "yudingquantangshi", "songci"];
    [root.to_path_buf(), root.join("dist"), root.join("package").join("dist")]
        .into_iter()
        .find(|base| markers.iter().any(|m| base.join(m).is_dir()))
}

/// The same for a listing of relative names (`/` separated): the layout's folder relative
/// to the listing's root (`""` for the root itself).
pub fn detect_in<'a>(rels: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    let markers = ["quantangshi", "yudingquantangshi", "songci"];
    ["", "dist/", "package/dist/"]
        .into_iter()
        .find(|base| {
            rels.clone().any(|rel| {
                rel.strip_prefix(base).and_then(|r| r.split_once('/')).is_some_and(|(top, _)| markers.contains(&top))
            })
        })
        .map(|base| base.trim_end_matches('/').to_owned())
}

fn pf(collection: &str, dynasty: Option<&str>) -> Option<PoetryFile> {
    Some(PoetryFile { collection: collection.to_owned(), dynasty: dynasty.map(str::to_owned) })
}

/// Classifies a file by its path relative to the layout root. `None` means skip it.
pub fn poetry_file(rel: &str, include_skipped: bool) -> Option<PoetryFile> {
    let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let top = rel.split('/').next().unwrap_or("");
    let skipped_folder = matches!(top, "strains" | "rank") || folder == "quantangshi/error";
    if skipped_folder {
        return if include_skipped { pf(top, None) } else { None };
    }
    let not_text = name.starts_with("author") || name == "表面结构字.json" || name == "intro.json";
    if not_text {
        return None;
    }
    match top {
        "quantangshi" => match name {
            n if n.starts_with("poet.tang.") => pf("全唐诗", Some("唐")),
            n if n.starts_with("poet.song.") => pf("全宋诗", Some("宋")),
            "唐诗三百首.json" => pf("唐诗三百首", Some("唐")),
            "唐诗补录.json" => pf("唐诗补录", Some("唐")),
            _ => pf("全唐诗", Some("唐")),
        },
        "yudingquantangshi" => pf("御定全唐詩", Some("唐")),
        "songci" if name == "宋词三百首.json" => pf("宋词三百首", Some("宋")),
        "songci" => pf("宋词", Some("宋")),
        "yuanqu" => pf("元曲", Some("元")),
        "wudaishici" if folder.ends_with("nantang") => pf("南唐二主词", Some("五代")),
        "wudaishici" => pf("花间集", Some("五代")),
        "shijing" => pf("诗经", Some("先秦")),
        "chuci" => pf("楚辞", Some("先秦")),
        "lunyu" => pf("论语", Some("先秦")),
        "sishuwujing" => pf("四书五经", Some("先秦")),
        "nalanxingde" => pf("纳兰性德", Some("清")),
        "caocaoshiji" => pf("曹操诗集", Some("汉")),
        "shuimotangshi" => pf("水墨唐诗", Some("唐")),
        "youmengying" => pf("幽梦影", Some("清")),
        "mengxue" => pf("蒙学", None),
        other => pf(other, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_package_files() {
        assert_eq!(poetry_file("quantangshi/poet.tang.1000.json", false).map(|p| p.collection), Some("全唐诗".into()));
        assert_eq!(poetry_file("quantangshi/poet.song.0.json", false).and_then(|p| p.dynasty), Some("宋".into()));
        assert_eq!(
            poetry_file("yudingquantangshi/json/001.json", false).map(|p| p.collection),
            Some("御定全唐詩".into())
        );
        assert!(poetry_file("quantangshi/authors.tang.json", false).is_none());
        assert!(poetry_file("quantangshi/error/poet.tang.0.json", false).is_none());
        assert!(poetry_file("strains/json/poet.tang.0.json", false).is_none());
        assert!(poetry_file("strains/json/poet.tang.0.json", true).is_some());
        assert!(poetry_file("wudaishici/nantang/intro.json", false).is_none());
        assert_eq!(
            poetry_file("wudaishici/nantang/poetrys.json", false).map(|p| p.collection),
            Some("南唐二主词".into())
        );
    }
}
