//! `wenflow entities`: what a user checking a passage sees.

use super::support::wenflow;

#[test]
fn era_dates_in_a_passage() {
    let out = wenflow()
        .args(["entities", "唐上元二年，肅宗上元二年，貞觀三年歲次己丑。天下太平。", "--format", "json"])
        .output()
        .expect("run wenflow entities");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // One row per candidate year: group them back into mentions.
    let mut brief: Vec<(String, Vec<i64>, bool)> = Vec::new();
    for r in out["entities"].as_array().expect("entities").iter().filter(|r| r["kind"] == "ERA_DATE") {
        let text = r["text"].as_str().unwrap_or("").to_string();
        let year = r["year"].as_i64().unwrap_or_default();
        match brief.last_mut() {
            Some(last) if last.0 == text => last.1.push(year),
            _ => brief.push((text, vec![year], r["ambiguous"].as_bool().unwrap_or(false))),
        }
    }
    // 唐上元二年 alone is ambiguous (高宗 675, 肅宗 761); here 肅宗, named nearby, decides.
    assert_eq!(
        brief,
        vec![
            ("唐上元二年".to_string(), vec![761], false),
            ("肅宗上元二年".to_string(), vec![761], false),
            ("貞觀三年歲次己丑".to_string(), vec![629], false),
        ]
    );
    let kinds: Vec<(&str, &str)> = out["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .filter(|r| r["kind"] != "ERA_DATE")
        .map(|r| (r["kind"].as_str().unwrap_or(""), r["text"].as_str().unwrap_or("")))
        .collect();
    assert!(kinds.is_empty(), "no names in this passage: {kinds:?}");
}

#[test]
fn names_in_a_passage() {
    let out = wenflow()
        .args([
            "entities",
            "送孟浩然之廣陵：故人西辭黃鶴樓，煙花三月下揚州。唐太宗時，翰林學士李白。",
            "--format",
            "json",
        ])
        .output()
        .expect("run wenflow entities");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let found: Vec<(String, String)> = out["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|r| (r["kind"].as_str().unwrap_or("").to_string(), r["text"].as_str().unwrap_or("").to_string()))
        .collect();
    let expect = |kind: &str, text: &str| {
        assert!(found.contains(&(kind.to_string(), text.to_string())), "{kind} {text} not in {found:?}");
    };
    expect("PERSON", "孟浩然");
    expect("PLACE", "廣陵");
    expect("PLACE", "揚州");
    expect("RULER", "唐太宗");
    expect("OFFICE", "翰林學士");
    expect("PERSON", "李白");
}

#[test]
fn a_user_gazetteer_adds_names_and_bad_lines_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("names.tsv");
    std::fs::write(&list, "# a CBDB-style export\nPERSON\t石崇\nPLACE\t金谷\t金谷園\n").expect("write");
    let out = wenflow()
        .args(["entities", "石崇金谷宴", "--format", "json", "--gazetteer"])
        .arg(&list)
        .output()
        .expect("run wenflow entities");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let found: Vec<(String, String, String)> = out["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (s("kind"), s("text"), s("norm"))
        })
        .collect();
    assert_eq!(
        found,
        vec![("PERSON".into(), "石崇".into(), "石崇".into()), ("PLACE".into(), "金谷".into(), "金谷園".into())]
    );

    std::fs::write(&list, "PERSON\t石崇\nPOET\t李白\n").expect("write");
    let out = wenflow().args(["entities", "石崇", "--gazetteer"]).arg(&list).output().expect("run wenflow entities");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("POET"), "{err}");
}

/// The era dates `wenflow entities` prints for `args`, one (text, years) per mention.
fn era_dates(args: &[&str]) -> Vec<(String, Vec<i64>)> {
    let out = wenflow().arg("entities").args(args).args(["--format", "json"]).output().expect("run wenflow entities");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut dates: Vec<(String, Vec<i64>)> = Vec::new();
    for r in out["entities"].as_array().expect("entities").iter().filter(|r| r["kind"] == "ERA_DATE") {
        let text = r["text"].as_str().unwrap_or("").to_string();
        let year = r["year"].as_i64().unwrap_or_default();
        match dates.last_mut() {
            Some(last) if last.0 == text => last.1.push(year),
            _ => dates.push((text, vec![year])),
        }
    }
    dates
}

#[test]
fn era_regimes_and_lifetimes_decide_reused_eras() {
    let date = |text: &str, years: &[i64]| vec![(text.to_string(), years.to_vec())];
    assert_eq!(era_dates(&["唐上元二年"]), date("唐上元二年", &[675, 761]), "two 唐 eras: ambiguous");
    // Chinese regimes by default; the others on request or when the text names them.
    assert_eq!(era_dates(&["嘉慶元年"]), date("嘉慶元年", &[1796]));
    assert_eq!(era_dates(&["嘉慶元年", "--era-regimes", "all"]), date("嘉慶元年", &[1387, 1796]));
    assert_eq!(era_dates(&["日本嘉慶元年"]), date("日本嘉慶元年", &[1387]));
    assert_eq!(era_dates(&["明治元年"]), vec![]);
    assert_eq!(era_dates(&["明治元年", "--era-regimes", "china,japan"]), date("明治元年", &[1868]));
    // Other names of rulers, the author's lifetime, a user gazetteer's lifetime column.
    assert_eq!(era_dates(&["元惠宗至元三年"]), date("元惠宗至元三年", &[1337]));
    assert_eq!(era_dates(&["上元二年", "--author", "杜甫"]), date("上元二年", &[761]));
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("persons.tsv");
    std::fs::write(&list, "PERSON\t王守仁\t\t1472-1529\n").expect("write");
    let list = list.to_str().expect("utf-8 path");
    assert_eq!(era_dates(&["正德四年", "--author", "王守仁"]), date("正德四年", &[1130, 1509]));
    assert_eq!(era_dates(&["正德四年", "--author", "王守仁", "--gazetteer", list]), date("正德四年", &[1509]));

    let out = wenflow().args(["entities", "嘉慶元年", "--era-regimes", "vietnam"]).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("vietnam"));
    std::fs::write(dir.path().join("bad.tsv"), "PLACE\t金谷\t\t712-770\n").expect("write");
    let bad = dir.path().join("bad.tsv");
    let out = wenflow().args(["entities", "金谷", "--gazetteer"]).arg(&bad).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PERSON lines only"));
}
