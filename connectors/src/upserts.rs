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

/// One key's live version (unknown after a restore) and its inputs, sorted, each with the
/// version it was logged with (an input a new version shares stays logged with the old).
#[derive(Clone, Debug, Default)]
struct Live {
    version: Option<Arc<str>>,
    inputs: Vec<(Input, Arc<str>)>,
}

/// The live inputs of one worker's keys, and the logged epochs it has to replay.
#[derive(Debug, Default)]
pub struct Upserts {
    keys: HashMap<Arc<str>, Live>,
    replay: BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    /// Whether the restored inputs are still to be handed to the dataflow.
    restoring: bool,
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
        let mut upserts = Upserts { restoring: true, ..Upserts::default() };
        for (row, n) in state.iter().filter(|(r, _)| mine(&r.key)) {
            upserts.apply(row, *n as isize);
        }
        upserts.replay = replay
            .iter()
            .map(|(epoch, rows)| (*epoch, rows.iter().filter(|(r, _)| mine(&r.key)).cloned().collect()))
            .collect();
        upserts
    }

    /// Applies a logged change. Which version of a key is the newest is not known from the
    /// log's state, so a restored key's version is unknown (its source reads it again).
    fn apply(&mut self, row: &InputRow, diff: isize) {
        let live = self.keys.entry(Arc::from(row.key.as_str())).or_default();
        live.version = None;
        if diff > 0 {
            let version: Arc<str> = Arc::from(row.version.as_str());
            for _ in 0..diff {
                live.inputs.push((row.input.clone(), version.clone()));
            }
            live.inputs.sort();
        } else if let Some(i) = live.inputs.iter().position(|(x, v)| *x == row.input && **v == *row.version) {
            live.inputs.remove(i);
        }
        if diff < 0 && live.inputs.is_empty() {
            self.keys.remove(row.key.as_str());
        }
    }

    /// The live inputs restored from the log (once): the dataflow recomputes its state from
    /// them before the first epoch.
    pub fn take_restored(&mut self) -> Vec<Input> {
        if !std::mem::take(&mut self.restoring) {
            return Vec::new();
        }
        self.keys.values().flat_map(|live| live.inputs.iter().map(|(input, _)| input.clone())).collect()
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

    /// The live version of `key`, when known (not right after a restore).
    pub fn version(&self, key: &str) -> Option<&Arc<str>> {
        self.keys.get(key).and_then(|l| l.version.as_ref())
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
        let (kept, gone, added) = difference(old.inputs, &inputs);
        for (input, logged_as) in gone {
            emit(Change { input, diff: -1, logged: Some((key.clone(), logged_as)) });
        }
        let inserted = added.len() as u64;
        let mut live = kept;
        for input in added {
            emit(Change { input: input.clone(), diff: 1, logged: Some((key.clone(), version.clone())) });
            live.push((input, version.clone()));
        }
        if !live.is_empty() {
            live.sort();
            self.keys.insert(key, Live { version: Some(version), inputs: live });
        }
        inserted
    }

    /// Removes `key`: retracts all of its inputs.
    pub fn remove(&mut self, key: &str, emit: &mut dyn FnMut(Change)) {
        self.set(key, Arc::from(""), Vec::new(), emit);
    }
}

/// Of `old` (sorted, with the version each was logged with) against `new` (sorted), as
/// multisets: what both have (with its old version), what is gone, what is added.
#[allow(clippy::type_complexity)]
fn difference(
    old: Vec<(Input, Arc<str>)>,
    new: &[Input],
) -> (Vec<(Input, Arc<str>)>, Vec<(Input, Arc<str>)>, Vec<Input>) {
    let (mut kept, mut gone, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let mut old = old.into_iter().peekable();
    let mut new = new.iter().peekable();
    loop {
        match (old.peek(), new.peek()) {
            (Some((a, _)), Some(b)) if a == *b => {
                kept.extend(old.next());
                new.next();
            }
            (Some((a, _)), Some(b)) if a < *b => gone.extend(old.next()),
            (Some(_), None) => gone.extend(old.next()),
            (_, Some(_)) => added.extend(new.next().cloned()),
            (None, None) => return (kept, gone, added),
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

    /// A record kept across versions stays logged with the version that inserted it, so
    /// retracting it later cancels that row: the log's state is the live inputs, however
    /// many versions the key went through, before and after a restore.
    #[test]
    fn inputs_are_retracted_with_the_version_that_logged_them() {
        fn record(log: &mut BTreeMap<InputRow, i64>) -> impl FnMut(Change) + '_ {
            move |c: Change| {
                let (key, version) = c.logged.clone().expect("logged");
                let row = InputRow { key: key.to_string(), version: version.to_string(), input: c.input };
                *log.entry(row).or_default() += c.diff as i64;
            }
        }
        let mut log: BTreeMap<InputRow, i64> = BTreeMap::new();
        let mut up = Upserts::default();
        up.set("f", Arc::from("v1"), vec![doc("a", "1"), doc("b", "1")], &mut record(&mut log));
        up.set("f", Arc::from("v2"), vec![doc("a", "2"), doc("b", "1")], &mut record(&mut log));
        // Restart: the key's inputs come back from the log's state.
        let state: Vec<(InputRow, i64)> = log.iter().filter(|(_, n)| **n != 0).map(|(r, n)| (r.clone(), *n)).collect();
        let mut up = Upserts::restore(&state, &BTreeMap::new(), |_| true);
        up.set("f", Arc::from("v3"), vec![doc("a", "2"), doc("b", "3")], &mut record(&mut log));
        up.set("f", Arc::from("v4"), vec![doc("a", "4")], &mut record(&mut log));
        let live: Vec<(String, Input)> = log
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(r, n)| {
                assert_eq!(*n, 1, "{r:?}");
                (r.version.clone(), r.input.clone())
            })
            .collect();
        assert_eq!(live, vec![("v4".to_string(), doc("a", "4"))]);
    }
}
