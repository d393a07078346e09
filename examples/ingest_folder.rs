//! Ingests a folder with the library, as `wenflow ingest DIR --out OUT -w 2` does, and
//! prints what the job committed.
//!
//! ```text
//! cargo run --example ingest_folder -- DIR OUT
//! ```

use std::path::PathBuf;

use wenflow_jobs::ingest::{IngestArgs, run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: ingest_folder DIR OUT".into());
    };
    let mut job = IngestArgs::new(vec![PathBuf::from(dir)], PathBuf::from(out));
    job.cluster.workers = 2;
    let summary = run(job)?;
    println!("job {} in {:.1} s", summary.job_id, summary.elapsed.as_secs_f64());
    println!("inputs {}", summary.totals.inputs);
    for (table, rows) in &summary.totals.rows {
        println!("{table:<14} {rows:+}");
    }
    Ok(())
}
