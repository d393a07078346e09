//! A flat map for functions that must not run again on retraction: OCR (slow), reading a
//! file (whose content may have changed or gone since). The outputs of each live input are
//! kept; retracting the input retracts exactly those outputs without calling the function,
//! and inserting it again while it is live reuses them. The state is the live inputs and
//! their outputs, so memory follows the live data: an input whose count is zero once its
//! epoch is complete is forgotten.
//!
//! Updates are handled in arrival order. A retraction that arrives before the insertion it
//! cancels (both at one epoch, in different batches) is held as a negative count and
//! cancels that insertion without computing anything.

use std::collections::HashMap;
use std::hash::Hash;

use differential_dataflow::{AsCollection, VecCollection};
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::Epoch;

/// Live count of an input, what it produced once computed, and how many copies of that
/// are out.
struct Entry<R> {
    count: isize,
    outputs: Option<Vec<R>>,
    emitted: isize,
}

/// `input.flat_map(logic)`, computing `logic` once per live input (see the module docs).
/// The operator runs where the input is (no exchange).
pub fn memo_flat_map<'s, D, R, L>(
    input: VecCollection<'s, Epoch, D>,
    name: &str,
    mut logic: L,
) -> VecCollection<'s, Epoch, R>
where
    D: Clone + Eq + Hash + 'static,
    R: Clone + 'static,
    L: FnMut(&D) -> Vec<R> + 'static,
{
    let mut state: HashMap<D, Entry<R>> = HashMap::new();
    // Inputs whose count fell to zero, with the epoch: forgotten once it is complete.
    let mut zeroed: Vec<(Epoch, D)> = Vec::new();
    input
        .inner
        .unary_frontier::<timely::container::CapacityContainerBuilder<Vec<(R, Epoch, isize)>>, _, _, _>(
            Pipeline,
            name,
            |_cap, _info| {
                move |(input, frontier), output| {
                    input.for_each(|cap, data| {
                        let mut session = output.session(&cap);
                        for (d, time, diff) in data.drain(..) {
                            let entry = state.entry(d.clone()).or_insert(Entry { count: 0, outputs: None, emitted: 0 });
                            entry.count += diff;
                            if entry.outputs.is_none() && entry.count > 0 {
                                entry.outputs = Some(logic(&d));
                            }
                            if let Some(outputs) = &entry.outputs {
                                let copies = entry.count - entry.emitted;
                                if copies != 0 {
                                    for r in outputs {
                                        session.give((r.clone(), time, copies));
                                    }
                                    entry.emitted = entry.count;
                                }
                            }
                            if entry.count == 0 {
                                zeroed.push((time, d));
                            }
                        }
                    });
                    zeroed.retain(|(time, d)| {
                        if frontier.less_equal(time) {
                            return true;
                        }
                        if state.get(d).is_some_and(|e| e.count == 0 && e.emitted == 0) {
                            state.remove(d);
                        }
                        false
                    });
                }
            },
        )
        .as_collection()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::{Arc, Mutex};

    use differential_dataflow::input::Input;

    use super::*;

    /// Each live input is computed once; retractions never call the function, and the
    /// output at every epoch is what a plain flat map gives.
    #[test]
    fn retractions_reuse_the_outputs_and_match_a_flat_map() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(Mutex::new(0usize));
        let (seen2, calls2) = (seen.clone(), calls.clone());
        timely::execute_directly(move |worker| {
            let calls = calls2.clone();
            let seen = seen2.clone();
            let counter = Rc::new(Cell::new(0usize));
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, words) = scope.new_collection::<String, isize>();
                let counter = counter.clone();
                let out = memo_flat_map(words, "Chars", move |w: &String| {
                    counter.set(counter.get() + 1);
                    *calls.lock().expect("lock") = counter.get();
                    w.chars().map(String::from).collect()
                });
                let probe = out
                    .consolidate()
                    .inspect(move |(c, t, d)| seen.lock().expect("lock").push((c.clone(), *t, *d)))
                    .probe()
                    .0;
                (input, probe)
            });
            // Epoch 0: two words, one twice.
            input.insert("ab".into());
            input.insert("ab".into());
            input.insert("c".into());
            input.advance_to(1);
            input.flush();
            worker.step_while(|| probe.less_than(&1));
            // Epoch 1: a retraction of one copy, a retraction that arrives before its
            // insertion (net nothing), and a word withdrawn entirely.
            input.remove("ab".into());
            input.remove("d".into());
            input.insert("d".into());
            input.remove("c".into());
            input.advance_to(2);
            input.flush();
            worker.step_while(|| probe.less_than(&2));
            // Epoch 2: the withdrawn word comes back and is computed again.
            input.insert("c".into());
            input.advance_to(3);
            input.flush();
            worker.step_while(|| probe.less_than(&3));
        });
        let mut seen = seen.lock().expect("lock").clone();
        seen.sort();
        let s = |c: &str, t: u64, d: isize| (c.to_string(), t, d);
        assert_eq!(
            seen,
            vec![s("a", 0, 2), s("a", 1, -1), s("b", 0, 2), s("b", 1, -1), s("c", 0, 1), s("c", 1, -1), s("c", 2, 1)]
        );
        // "ab" once, "c" twice (forgotten when withdrawn), "d" never.
        assert_eq!(*calls.lock().expect("lock"), 3);
    }
}
