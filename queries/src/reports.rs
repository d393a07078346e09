//! Named reports: each a SQL file in `queries/reports/` over the current-state views (and
//! the `<table>_log` change logs), compiled into the binary. The first lines of a file
//! say what it shows (`-- title: …`) and which values it takes (`-- param: name`, used in
//! the SQL as the placeholder `$name`).

use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

use crate::{QueryError, Result};

/// One named report.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// The name `wenflow report NAME` takes (the file's stem).
    pub name: &'static str,
    /// The file: its header comments, then one SQL statement.
    pub source: &'static str,
}

macro_rules! reports {
    ($($name:literal),* $(,)?) => {
        &[$(Report { name: $name, source: include_str!(concat!("../reports/", $name, ".sql")) }),*]
    };
}

/// The reports, in the order `wenflow report` runs them.
pub const REPORTS: &[Report] = reports![
    "summary",
    "duplicates",
    "duplicates_across",
    "duplicate_clusters",
    "near_duplicates",
    "entity_kinds",
    "top_entities",
    "era_dates",
    "timeline",
    "cleaning",
    "ocr_confidence",
    "ocr_worst_pages",
    "failures",
    "why",
];

impl Report {
    fn header(&self, key: &str) -> impl Iterator<Item = &'static str> {
        let prefix = format!("-- {key}:");
        self.source
            .lines()
            .take_while(|l| l.starts_with("--"))
            .filter_map(move |l| l.strip_prefix(prefix.as_str()))
            .map(str::trim)
    }

    /// What it shows.
    pub fn title(&self) -> &'static str {
        self.header("title").next().unwrap_or(self.name)
    }

    /// The values it takes, in order (`why` takes `doc_id`).
    pub fn params(&self) -> Vec<&'static str> {
        self.header("param").collect()
    }

    /// Runs it in `ctx` (tables registered) with one value per parameter.
    pub async fn run(&self, ctx: &SessionContext, values: &[String]) -> Result<Vec<RecordBatch>> {
        let params = self.params();
        if values.len() != params.len() {
            return Err(QueryError::Invalid(format!(
                "report {} takes {} ({}), got {} value{}",
                self.name,
                if params.is_empty() { "no value".to_owned() } else { params.join(", ") },
                self.usage(),
                values.len(),
                if values.len() == 1 { "" } else { "s" }
            )));
        }
        let frame = ctx.sql(self.source).await?;
        let frame = if params.is_empty() {
            frame
        } else {
            let bound: Vec<(&str, ScalarValue)> =
                params.iter().zip(values).map(|(p, v)| (*p, ScalarValue::Utf8(Some(v.clone())))).collect();
            frame.with_param_values(bound)?
        };
        crate::tables::collect(frame).await
    }

    /// How it is called: `why DOC_ID`.
    pub fn usage(&self) -> String {
        std::iter::once(self.name.to_owned())
            .chain(self.params().iter().map(|p| p.to_uppercase()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The report named `name`.
pub fn report(name: &str) -> Option<&'static Report> {
    REPORTS.iter().find(|r| r.name == name)
}

/// The SQL of the failures a run committed in epochs `first..=last`, by stage: the net
/// change of the `failures` log (`stage`, `n`).
pub fn failures_by_stage_sql(first: u64, last: u64) -> String {
    format!(
        "SELECT stage, CAST(SUM(diff) AS BIGINT) AS n FROM failures_log WHERE time BETWEEN {first} AND {last} \
         GROUP BY stage HAVING SUM(diff) <> 0 ORDER BY stage"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_a_title_and_a_unique_name() {
        let mut names: Vec<&str> = REPORTS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REPORTS.len());
        for r in REPORTS {
            assert_ne!(r.title(), r.name, "{} has a title", r.name);
        }
        assert_eq!(report("why").map(Report::params), Some(vec!["doc_id"]));
        assert_eq!(report("why").map(Report::usage).as_deref(), Some("why DOC_ID"));
        assert!(report("summary").is_some_and(|r| r.params().is_empty()));
    }

    /// Every report plans against the tables' schemas (an empty output of each table).
    #[tokio::test]
    async fn every_report_plans_over_empty_tables() {
        let ctx = crate::testing::empty_tables().await;
        for r in REPORTS {
            let values: Vec<String> = r.params().iter().map(|_| "x".to_owned()).collect();
            let rows = r.run(&ctx, &values).await.unwrap_or_else(|e| panic!("{}: {e}", r.name));
            assert_eq!(rows.iter().map(RecordBatch::num_rows).sum::<usize>(), 0, "{}", r.name);
        }
        let e = report("why").expect("why").run(&ctx, &[]).await.expect_err("a value is missing");
        assert!(e.to_string().contains("why DOC_ID"), "{e}");
    }
}
