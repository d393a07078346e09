//! The current state of a change log, defined once.
//!
//! Every table is a change log: each row carries `time` (the epoch that wrote it) and
//! `diff` (+1 inserted, −1 retracted; an update is both at one epoch). The **state** of a
//! log as of an epoch is its rows with their diffs summed over every epoch up to it, kept
//! where the sum is positive; the sum is the row's multiplicity (1 for every wenflow table
//! but a duplicate insertion). The views `<table>` of [`register_tables`](crate::register_tables)
//! and the state a resumed job restores are both this rule.

/// One selected column of a state query: a column name, or `EXPR AS name`.
fn split(column: &str) -> (&str, &str) {
    match column.split_once(" AS ") {
        Some((expr, name)) => (expr.trim(), name.trim()),
        None => (column, column),
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL of the state of change log `log` as of epoch `upto` (its last epoch if `None`):
/// the selected `columns` (names, or `EXPR AS name` for a value computed from the row),
/// and `diff`, the multiplicity.
pub fn state_sql(log: &str, columns: &[&str], upto: Option<u64>) -> String {
    let select: Vec<String> = columns
        .iter()
        .map(|c| match split(c) {
            (expr, name) if expr == name => quoted(name),
            (expr, name) => format!("{expr} AS {}", quoted(name)),
        })
        .collect();
    let group: Vec<String> = columns
        .iter()
        .map(|c| split(c))
        .map(|(expr, name)| if expr == name { quoted(name) } else { expr.to_owned() })
        .collect();
    let upto = upto.map(|e| format!(" WHERE time <= {e}")).unwrap_or_default();
    format!(
        "SELECT {}, CAST(SUM(diff) AS BIGINT) AS diff FROM {}{upto} GROUP BY {} HAVING SUM(diff) > 0",
        select.join(", "),
        quoted(log),
        group.join(", ")
    )
}

/// The SQL of what epoch `epoch` changed in `log`: the `columns` and `diff` of its rows.
pub fn changes_sql(log: &str, columns: &[&str], epoch: u64) -> String {
    let select: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
    format!("SELECT {}, diff FROM {} WHERE time = {epoch}", select.join(", "), quoted(log))
}

/// The SQL of the view `<table>`: the state of its log without `diff`. A log without any
/// retraction (every batch ingest) is its own state, and the view skips the costly
/// grouping over every column.
pub(crate) fn state_view_sql(log: &str, columns: &[String], has_retractions: bool) -> String {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let select = names.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
    if has_retractions {
        format!("SELECT {select} FROM ({})", state_sql(log, &names, None))
    } else {
        format!("SELECT {select} FROM {} WHERE diff > 0", quoted(log))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::SessionContext;
    use std::sync::Arc;

    /// A log with inserts, a retraction, an update (retraction and insertion in one epoch),
    /// a row inserted again after its retraction, and a duplicate insertion.
    async fn log() -> SessionContext {
        let rows: [(&str, &str, i64, i64); 9] = [
            ("a", "v1", 1, 1),
            ("b", "v1", 1, 1),
            ("c", "v1", 1, 1),
            ("a", "v1", 2, -1), // a updated at epoch 2
            ("a", "v2", 2, 1),
            ("b", "v1", 3, -1), // b deleted at epoch 3
            ("c", "v1", 3, -1), // c deleted at 3 and back at 4
            ("c", "v1", 4, 1),
            ("d", "v1", 4, 2), // inserted twice
        ];
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("end", DataType::Utf8, false),
            Field::new("time", DataType::Int64, false),
            Field::new("diff", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3))),
            ],
        )
        .expect("batch");
        let ctx = SessionContext::new();
        ctx.register_batch("t_log", batch).expect("register");
        ctx
    }

    async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
        let batches =
            ctx.sql(&format!("SELECT * FROM ({sql}) ORDER BY 1, 2")).await.expect(sql).collect().await.expect(sql);
        let text = arrow::util::pretty::pretty_format_batches(&batches).expect("format").to_string();
        text.lines()
            .filter(|l| l.starts_with("| ") && !l.contains(" id "))
            .map(|l| l.split_whitespace().collect())
            .collect()
    }

    #[tokio::test]
    async fn the_state_folds_updates_deletions_and_reinsertions() {
        let ctx = log().await;
        let state = |upto| state_sql("t_log", &["id", "end"], upto);
        assert_eq!(rows(&ctx, &state(Some(1))).await, ["|a|v1|1|", "|b|v1|1|", "|c|v1|1|"]);
        assert_eq!(rows(&ctx, &state(Some(2))).await, ["|a|v2|1|", "|b|v1|1|", "|c|v1|1|"]);
        assert_eq!(rows(&ctx, &state(Some(3))).await, ["|a|v2|1|"]);
        assert_eq!(rows(&ctx, &state(None)).await, ["|a|v2|1|", "|c|v1|1|", "|d|v1|2|"]);
        // The view is the same rule without the multiplicity, with or without the shortcut
        // for logs that never retract (here it would be wrong, and is not taken).
        let view = state_view_sql("t_log", &["id".into(), "end".into()], true);
        assert_eq!(rows(&ctx, &view).await, ["|a|v2|", "|c|v1|", "|d|v1|"]);
        let computed = state_sql("t_log", &["id", "upper(\"end\") AS end"], None);
        assert_eq!(rows(&ctx, &computed).await, ["|a|V2|1|", "|c|V1|1|", "|d|V1|2|"]);
        assert_eq!(rows(&ctx, &changes_sql("t_log", &["id", "end"], 2)).await, ["|a|v1|-1|", "|a|v2|1|"]);
    }
}
