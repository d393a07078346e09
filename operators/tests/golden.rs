//! Golden files of the clean stage: one file per rule family under `tests/golden/`, each a
//! list of cases
//!
//! ```text
//! === case name | option | option …
//! input lines
//! --- expected
//! expected output lines
//! ```
//!
//! Options: `layout` (line breaks are layout; default paragraph), `simplified` (compare the
//! simplified copy instead of the text), `changes` (also compare the change counts, written
//! as a last `changes: rule=n …` line), `drop_placeholders`, `keep_debris`, `keep_variants`,
//! `punctuation=keep|corner|curly`, `pii=<policies>`, `filter` (compare the filter verdict).
//!
//! `WENFLOW_BLESS=1 cargo test -p wenflow-operators --test golden` rewrites the expected
//! sections from the current output; review the diff before committing it.

use std::fmt::Write as _;
use std::path::Path;

use wenflow_operators::clean::{CleanConfig, PiiPolicies, PunctuationStyle, clean_document};

struct Case {
    header: String,
    input: String,
    expected: String,
}

/// A case being read: header, input lines, expected lines once `--- expected` was seen.
type Partial<'a> = (String, Vec<&'a str>, Option<Vec<&'a str>>);

fn parse(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Partial> = None;
    let finish = |c: Partial, cases: &mut Vec<Case>| {
        cases.push(Case { header: c.0, input: c.1.join("\n"), expected: c.2.unwrap_or_default().join("\n") });
    };
    for line in text.split('\n') {
        if let Some(h) = line.strip_prefix("=== ") {
            if let Some(c) = current.take() {
                finish(c, &mut cases);
            }
            current = Some((h.to_owned(), Vec::new(), None));
        } else if line == "--- expected" {
            if let Some(c) = current.as_mut() {
                c.2 = Some(Vec::new());
            }
        } else if let Some(c) = current.as_mut() {
            match c.2.as_mut() {
                Some(expected) => expected.push(line),
                None => c.1.push(line),
            }
        }
    }
    if let Some(c) = current.take() {
        finish(c, &mut cases);
    }
    for c in &mut cases {
        // A blank line separates cases; it is not part of the expected output.
        while c.expected.ends_with('\n') {
            c.expected.pop();
        }
    }
    cases
}

fn run(case: &Case) -> String {
    let mut config = CleanConfig::default();
    let (mut layout, mut simplified, mut changes, mut filter) = (false, false, false, false);
    for opt in case.header.split('|').skip(1).map(str::trim) {
        match opt.split_once('=') {
            Some(("punctuation", v)) => config.punctuation = PunctuationStyle::parse(v).expect("style"),
            Some(("pii", v)) => config.pii = PiiPolicies::parse(v).expect("policies"),
            _ => match opt {
                "layout" => layout = true,
                "simplified" => simplified = true,
                "changes" => changes = true,
                "filter" => filter = true,
                "drop_placeholders" => config.drop_placeholders = true,
                "keep_debris" => config.debris = false,
                "keep_variants" => config.variants = false,
                other => panic!("unknown option {other:?} in {}", case.header),
            },
        }
    }
    // Inputs spell the form feed and escapes visibly.
    let input = unescape(&case.input);
    let c = clean_document(&input, layout, &config);
    let mut out = if simplified { c.simplified.clone().unwrap_or_default() } else { c.text.clone() };
    if changes {
        out.push_str("\nchanges:");
        for (rule, n) in c.changes.iter() {
            let _ = write!(out, " {}={n}", rule.as_str());
        }
    }
    if filter {
        let _ = write!(out, "\nfilter: {}", c.filtered.as_deref().unwrap_or("kept"));
    }
    out
}

/// `\\f` is a form feed and `\\u{XXXX}` the character U+XXXX, so inputs show them.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("\\f") {
            out.push('\u{c}');
            rest = t;
        } else if let Some((code, t)) = tail.strip_prefix("\\u{").and_then(|t| t.split_once('}')) {
            out.extend(u32::from_str_radix(code, 16).ok().and_then(char::from_u32));
            rest = t;
        } else {
            out.push('\\');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("WENFLOW_BLESS").is_some();
    let mut failures = Vec::new();
    let mut files = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).expect("tests/golden").filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("golden file");
        let cases = parse(&text);
        assert!(!cases.is_empty(), "{} has no cases", path.display());
        let mut blessed = String::new();
        for case in &cases {
            let actual = run(case);
            if actual != case.expected {
                failures.push(format!(
                    "{} / {}:\n  input:    {:?}\n  expected: {:?}\n  actual:   {:?}",
                    path.display(),
                    case.header,
                    case.input,
                    case.expected,
                    actual
                ));
            }
            let _ = write!(blessed, "=== {}\n{}\n--- expected\n{}\n\n", case.header, case.input, actual);
        }
        if bless {
            std::fs::write(&path, blessed.trim_end().to_owned() + "\n").expect("write golden file");
        }
    }
    assert!(files >= 8, "expected a golden file per rule family, found {files}");
    if !bless {
        assert!(failures.is_empty(), "{} golden cases differ:\n{}", failures.len(), failures.join("\n"));
    }
}
