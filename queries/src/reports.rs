//! Named report queries over the tables' current state: the demo report of `make demo`
//! and what `wenflow report` runs.

/// One named report: a title for people and the SQL that answers it.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// The name `wenflow report NAME` takes.
    pub name: &'static str,
    /// What it shows.
    pub title: &'static str,
    /// Its SQL over the current-state views (and `<table>_log` change logs).
    pub sql: &'static str,
}

/// The reports, in the order `wenflow report` prints them.
pub const REPORTS: &[Report] = &[
    Report {
        name: "collections",
        title: "documents by collection",
        sql: "SELECT collection, dynasty, count(*) AS documents, sum(chars) AS chars FROM documents \
              GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
    },
    Report {
        name: "duplicate_kinds",
        title: "duplicate clusters by kind",
        sql: "SELECT kind, count(DISTINCT cluster_id) AS clusters, count(*) AS documents FROM duplicates \
              GROUP BY 1 ORDER BY 1",
    },
    Report {
        name: "duplicates_across",
        title: "the collections duplicate clusters join",
        sql: "SELECT a.collection AS collection, b.collection AS duplicated_in, count(DISTINCT a.doc_id) AS documents \
              FROM duplicates da JOIN duplicates db ON da.cluster_id = db.cluster_id AND da.doc_id <> db.doc_id \
              JOIN documents a ON a.doc_id = da.doc_id JOIN documents b ON b.doc_id = db.doc_id \
              GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 10",
    },
    Report {
        name: "near_duplicates",
        title: "near duplicates: a few members with their cluster's representative",
        sql: "SELECT round(d.similarity, 3) AS similarity, \
              a.collection || ' ' || a.author || '《' || a.title || '》' AS member, \
              b.collection || ' ' || b.author || '《' || b.title || '》' AS representative \
              FROM duplicates d JOIN documents a ON a.doc_id = d.doc_id JOIN documents b ON b.doc_id = d.cluster_id \
              WHERE d.kind = 'near' AND d.doc_id <> d.cluster_id AND d.similarity < 1 ORDER BY d.doc_id LIMIT 8",
    },
    Report {
        name: "era_dates",
        title: "most mentioned reign-era dates (unambiguous)",
        sql: "SELECT norm, year, count(DISTINCT doc_id) AS documents FROM entities \
              WHERE kind = 'ERA_DATE' AND NOT ambiguous GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 10",
    },
    Report {
        name: "cleaning",
        title: "cleaning: documents each rule changed, and how often",
        sql: "SELECT rule, count(DISTINCT doc_id) AS documents, sum(count) AS changes FROM clean_changes \
              GROUP BY 1 ORDER BY 3 DESC, 1",
    },
    Report {
        name: "entity_kinds",
        title: "entities: mentions per kind",
        sql: "SELECT kind, count(*) AS rows, count(DISTINCT doc_id) AS documents FROM entities \
              GROUP BY 1 ORDER BY 2 DESC, 1",
    },
    Report {
        name: "top_persons",
        title: "the most mentioned persons",
        sql: "SELECT kind, norm, documents FROM entity_counts WHERE kind = 'PERSON' ORDER BY documents DESC, norm LIMIT 8",
    },
    Report {
        name: "top_places",
        title: "the most mentioned places",
        sql: "SELECT kind, norm, documents FROM entity_counts WHERE kind = 'PLACE' ORDER BY documents DESC, norm LIMIT 8",
    },
    Report {
        name: "failures",
        title: "failures by stage",
        sql: "SELECT stage, count(*) AS failures, min(error) AS example FROM failures GROUP BY 1 ORDER BY 2 DESC, 1",
    },
];

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
