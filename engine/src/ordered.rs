//! Operators that need an epoch's updates complete, and epochs applied in order: the
//! current state is then all they keep, not a history of times (epochs are totally
//! ordered). [`in_epoch_order`] stashes each epoch's updates, with the capability to answer
//! them, until the input's frontier has passed the epoch, then hands them to the logic,
//! oldest epoch first, and sends what it produces at that epoch.

use std::collections::BTreeMap;

use differential_dataflow::{AsCollection, VecCollection};
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;

use crate::Epoch;

/// An epoch's updates waiting for the frontier, with the capability to answer them.
type Pending<D> = (Capability<Epoch>, Vec<(D, isize)>);

/// Applies `logic(epoch, updates, output)` to each epoch's updates once the epoch is
/// complete, in epoch order, after exchanging them by `route`. `updates` arrive as they
/// came (not consolidated); what `logic` pushes to `output` is sent at `epoch`.
pub fn in_epoch_order<'s, D, R, H, L>(
    input: VecCollection<'s, Epoch, D>,
    name: &str,
    route: H,
    mut logic: L,
) -> VecCollection<'s, Epoch, R>
where
    D: timely::ExchangeData,
    R: Clone + 'static,
    H: Fn(&D) -> u64 + 'static,
    L: FnMut(Epoch, &mut Vec<(D, isize)>, &mut Vec<(R, isize)>) + 'static,
{
    let pact = Exchange::new(move |(d, _, _): &(D, Epoch, isize)| route(d));
    input
        .inner
        .unary_frontier::<timely::container::CapacityContainerBuilder<Vec<(R, Epoch, isize)>>, _, _, _>(
            pact,
            name,
            |_cap, _info| {
                let mut stash: BTreeMap<Epoch, Pending<D>> = BTreeMap::new();
                let mut produced = Vec::new();
                // An epoch's updates are collected into room for as many as the last
                // epoch had: epochs of a job are alike in size, and a vector that grew by
                // doubling would copy its updates about twice over, the last time with
                // the old and the new buffers both resident. Room an epoch leaves unused
                // is never written, so its pages cost address space, not memory.
                let mut last_len = 0;
                move |(input, frontier), output| {
                    input.for_each(|cap, data| {
                        for (d, time, diff) in data.drain(..) {
                            stash
                                .entry(time)
                                .or_insert_with(|| (cap.delayed(&time, 0), Vec::with_capacity(last_len)))
                                .1
                                .push((d, diff));
                        }
                    });
                    while let Some((&epoch, _)) = stash.first_key_value() {
                        if frontier.less_equal(&epoch) {
                            break;
                        }
                        let Some((_, (cap, mut updates))) = stash.pop_first() else { break };
                        last_len = updates.len();
                        logic(epoch, &mut updates, &mut produced);
                        let mut session = output.session(&cap);
                        for (r, diff) in produced.drain(..) {
                            session.give((r, epoch, diff));
                        }
                    }
                }
            },
        )
        .as_collection()
}
