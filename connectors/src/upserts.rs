//! The live inputs of a keyed stream source, and the replay of its input log.
//!
//! A stream source's inputs belong to keys (a file of a watched folder, a Kafka message
//! key). [`Upserts`] keeps each key's live version and the inputs it gave; setting a key to
//! a new version emits the retraction of the inputs that are gone and the insertion of the
//! new ones (an input both versions share is left alone), removing a key retracts all of
//! its inputs. Every change is logged with its key and version. On restart, the log's state
//! rebuilds the keys of this worker's share ([`Upserts::restore`]) and the logged epochs
//! that some table lacks are replayed exactly as they were read ([`Upserts::replay`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use wenflow_engine::Epoch;
use wenflow_engine::source::{Change, EpochRead, Input, InputRow};

/// One key's live version and its inputs, sorted.
#[derive(Clone, Debug, Default)]
struct Live {
    version: Arc<str>,
    inputs: Vec<Input>,
}

/// The live inputs of one worker's keys, and the logged epochs it has to replay.
#[derive(Debug, Default)]
pub struct Upserts {
    keys: HashMap<Arc<str>, Live>,
    replay: BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    restored: Vec<Input>,
}

impl Upserts {
    /// The keys `mine` selects from the log's `state` (as of the last epoch every table
    /// holds), and `replay` (the logged changes of each later epoch, one entry for each such
    /// epoch) restricted to them: every worker replays every logged epoch, with or without
    /// changes of its own.
    pub fn restore(
        state: &[(InputRow, i64)],
        replay: &BTreeMap<Epoch, Vec<(InputRow, isize)>>,
        mine: impl Fn(&str) -> bool,
    ) -> Self {
        let mut upserts = Upserts::default();
        for (row, n) in state.iter().filter(|(r, _)| mine(&r.key)) {
            for _ in 0..(*n).max(0) {
                upserts.restored.push(row.input.clone());
            }
            upserts.apply(row, *n as isize);
        }
        upserts.replay = replay
            .iter()
            .map(|(epoch, rows)| (*epoch, rows.iter().filter(|(r, _)| mine(&r.key)).cloned().collect()))
            .collect();
        upserts
    }

    fn apply(&mut self, row: &InputRow, diff: isize) {
        let live = self.keys.entry(Arc::from(row.key.as_str())).or_default();
        if diff > 0 {
            live.version = Arc::from(row.version.as_str());
            for _ in 0..diff {
                live.inputs.push(row.input.clone());
            }
            live.inputs.sort();
        } else if let Some(i) = live.inputs.iter().position(|x| *x == row.input) {
            live.inputs.remove(i);
        }
        if diff < 0 && live.inputs.is_empty() {
            self.keys.remove(row.key.as_str());
        }
    }

    /// The live inputs restored from the log (taken once): the dataflow recomputes its
    /// state from them before the first epoch.
    pub fn take_restored(&mut self) -> Vec<Input> {
        std::mem::take(&mut self.restored)
    }

    /// Whether `epoch` is a logged epoch still to replay.
    pub fn replays(&self, epoch: Epoch) -> bool {
        self.replay.contains_key(&epoch)
    }

    /// Whether logged epochs remain to replay.
    pub fn replaying(&self) -> bool {
        !self.replay.is_empty()
    }

    /// Replays logged epoch `epoch`, if it is one.
    pub fn replay(&mut self, epoch: Epoch, emit: &mut dyn FnMut(Change)) -> Option<EpochRead> {
        let rows = self.replay.remove(&epoch)?;
        let mut read = EpochRead::default();
        for (row, diff) in rows {
            if diff > 0 {
                read.inputs += diff as u64;
            }
            let logged = Some((Arc::from(row.key.as_str()), Arc::from(row.version.as_str())));
            emit(Change { input: row.input.clone(), diff, logged });
            self.apply(&row, diff);
        }
        Some(read)
    }

    /// The live version of `key`.
    pub fn version(&self, key: &str) -> Option<&Arc<str>> {
        self.keys.get(key).map(|l| &l.version)
    }

    /// The keys with live inputs.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<str>> {
        self.keys.keys()
    }

    /// Sets `key` to `version` with `inputs`: retracts what is gone, inserts what is new.
    /// Returns the number of inputs inserted.
    pub fn set(&mut self, key: &str, version: Arc<str>, mut inputs: Vec<Input>, emit: &mut dyn FnMut(Change)) -> u64 {
        inputs.sort();
        let old = self.keys.remove(key).unwrap_or_default();
        let key: Arc<str> = Arc::from(key);
        let (gone, added) = difference(&old.inputs, &inputs);
        for input in gone {
            emit(Change { input, diff: -1, logged: Some((key.clone(), old.version.clone())) });
        }
        let inserted = added.len() as u64;
        for input in added {
            emit(Change { input, diff: 1, logged: Some((key.clone(), version.clone())) });
        }
        if !inputs.is_empty() {
            self.keys.insert(key, Live { version, inputs });
        }
        inserted
    }

    /// Removes `key`: retracts all of its inputs.
    pub fn remove(&mut self, key: &str, emit: &mut dyn FnMut(Change)) {
        self.set(key, Arc::from(""), Vec::new(), emit);
    }
}

/// What is in `old` and not in `new`, and what is in `new` and not in `old` (both sorted,
/// as multisets).
fn difference(old: &[Input], new: &[Input]) -> (Vec<Input>, Vec<Input>) {
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    loop {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                gone.push(a.clone());
                i += 1;
            }
            (Some(a), None) => {
                gone.push(a.clone());
                i += 1;
            }
            (_, Some(b)) => {
                added.push(b.clone());
                j += 1;
            }
            (None, None) => return (gone, added),
        }
    }
}

#[cfg(test)]
mod tests {
    use wenflow_engine::Document;

    use super::*;

    fn doc(id: &str, text: &str) -> Input {
        Input::Record(Ok(Document { doc_id: id.into(), text: text.into(), ..Default::default() }))
    }

    /// Setting versions emits the difference; the log of all changes, restored, gives the
    /// same keys as the live state.
    #[test]
    fn set_emits_the_difference_and_the_log_restores_the_state() {
        let mut up = Upserts::default();
        let mut log: Vec<(InputRow, isize)> = Vec::new();
        let mut changes = Vec::new();
        let mut emit = |c: Change| {
            let (key, version) = c.logged.clone().expect("logged");
            log.push((InputRow { key: key.to_string(), version: version.to_string(), input: c.input.clone() }, c.diff));
            changes.push((c.input, c.diff));
        };
        assert_eq!(up.set("f", Arc::from("v1"), vec![doc("a", "x"), doc("b", "y")], &mut emit), 2);
        assert_eq!(up.set("f", Arc::from("v2"), vec![doc("b", "y"), doc("c", "z")], &mut emit), 1);
        up.remove("g", &mut emit);
        assert_eq!(up.set("g", Arc::from("w1"), vec![doc("d", "q")], &mut emit), 1);
        up.remove("g", &mut emit);
        assert_eq!(
            changes,
            vec![
                (doc("a", "x"), 1),
                (doc("b", "y"), 1),
                (doc("a", "x"), -1),
                (doc("c", "z"), 1),
                (doc("d", "q"), 1),
                (doc("d", "q"), -1)
            ]
        );
        // The log's state: fold the diffs of equal rows.
        let mut state: BTreeMap<InputRow, i64> = BTreeMap::new();
        for (row, diff) in log {
            *state.entry(row).or_default() += diff as i64;
        }
        let state: Vec<(InputRow, i64)> = state.into_iter().filter(|(_, n)| *n != 0).collect();
        let mut restored = Upserts::restore(&state, &BTreeMap::new(), |_| true);
        let mut live: Vec<Input> = restored.take_restored();
        live.sort();
        assert_eq!(live, vec![doc("b", "y"), doc("c", "z")]);
        assert_eq!(restored.keys().count(), 1);
    }
}
