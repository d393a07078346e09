//! `wenflow entities`: what a user checking a passage sees.

use super::support::wenflow;

#[test]
fn era_dates_in_a_passage() {
    let out = wenflow()
        .args(["entities", "唐上元二年，肅宗上元二年，貞觀三年歲次己丑。天下太平。", "--format", "json"])
        .output()
        .expect("run wenflow entities");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let brief: Vec<(String, Vec<i64>, bool)> = rows
        .iter()
        .map(|r| {
            let years = r["years"]
                .as_array()
                .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
                .unwrap_or_default();
            (r["text"].as_str().unwrap_or("").to_string(), years, r["ambiguous"].as_bool().unwrap_or(false))
        })
        .collect();
    assert_eq!(
        brief,
        vec![
            ("唐上元二年".to_string(), vec![675, 761], true),
            ("肅宗上元二年".to_string(), vec![761], false),
            ("貞觀三年歲次己丑".to_string(), vec![629], false),
        ]
    );
}
