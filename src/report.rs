//! Small reports over the output tables, for the end-of-run summary.

use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;

/// Failures committed in `epochs`, by stage: `"parse 2, filter 143"`.
pub async fn failures_by_stage(out: &Path, epochs: Option<(u64, u64)>) -> anyhow::Result<String> {
    let Some((first, last)) = epochs else {
        return Ok(String::new());
    };
    let ctx = wenflow_queries::session();
    wenflow_queries::register_tables(&ctx, out).await?;
    let sql = format!(
        "SELECT stage, CAST(SUM(diff) AS BIGINT) AS n FROM failures_log WHERE time BETWEEN {first} AND {last} GROUP BY stage ORDER BY stage"
    );
    let batches = wenflow_queries::run_sql(&ctx, &sql).await?;
    let mut parts = Vec::new();
    for b in &batches {
        let stage = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let stage = stage.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            if n.value(i) != 0 {
                parts.push(format!("{} {}", stage.value(i), n.value(i)));
            }
        }
    }
    Ok(parts.join(", "))
}
