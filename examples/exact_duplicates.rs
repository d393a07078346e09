//! Build a small pipeline from the library: clean documents, resolve ids, find exact
//! duplicates, and watch the clusters change as a document is retracted.
//!
//! Run with `cargo run --example exact_duplicates`.

use differential_dataflow::input::Input;
use timely::dataflow::operators::Probe;
use wenflow_engine::identity::resolve_ids;
use wenflow_engine::{Document, LineBreaks};
use wenflow_operators::{clean, dedup};

fn doc(id: &str, text: &str) -> Document {
    Document {
        doc_id: id.into(),
        source: format!("example#{id}"),
        text: text.into(),
        line_breaks: LineBreaks::Layout,
        ..Document::default()
    }
}

fn main() {
    timely::execute_directly(|worker| {
        let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
            let (input, docs) = scope.new_collection::<Document, isize>();
            let (cleaned, _changes, _filtered) = clean::clean(docs, Default::default());
            let (unique, _conflicts) = resolve_ids(cleaned);
            let (probe, _) = dedup::exact_duplicates(unique)
                .inspect(|(row, epoch, diff)| {
                    println!("epoch {epoch}: {diff:+} {} in cluster {}", row.doc_id, row.cluster_id)
                })
                .inner
                .probe();
            (input, probe)
        });
        // Two editions of one poem that differ only in line breaks, and one other poem.
        input.insert(doc("tang/1", "床前明月光，\n疑是地上霜。"));
        input.insert(doc("yuding/7", "床前明月光，疑是地上霜。"));
        input.insert(doc("song/3", "明月幾時有，把酒問青天。"));
        input.advance_to(1);
        input.flush();
        worker.step_while(|| probe.less_than(&1));
        // Withdraw one edition: its cluster dissolves.
        input.remove(doc("yuding/7", "床前明月光，疑是地上霜。"));
        input.advance_to(2);
        input.flush();
        worker.step_while(|| probe.less_than(&2));
    });
}
