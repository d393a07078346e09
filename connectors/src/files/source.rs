//! The plan of a batch job as a [`Source`]: each worker reads the splits whose number falls
//! to it (`unit % peers`), epoch by epoch. The plan is a pure function of the input and
//! the options, so its epoch numbers are positions: a job resumes at the first epoch some
//! table lacks.

use std::collections::BTreeMap;
use std::sync::Arc;

use wenflow_engine::Epoch;
use wenflow_engine::source::{Change, EpochRead, Input, Source};

use super::options::SourceOptions;
use super::plan::Plan;

/// One worker's share of a plan.
pub struct FileSource {
    plan: Arc<Plan>,
    opts: Arc<SourceOptions>,
    /// The worker's splits (indexes into the plan), by epoch.
    mine: BTreeMap<Epoch, Vec<usize>>,
}

impl FileSource {
    /// Worker `worker` of `peers`'s share of `plan`, from epoch `resume` on.
    pub fn new(plan: Arc<Plan>, opts: Arc<SourceOptions>, worker: usize, peers: usize, resume: Epoch) -> Self {
        let mut mine: BTreeMap<Epoch, Vec<usize>> = BTreeMap::new();
        for (i, split) in plan.splits.iter().enumerate() {
            if split.epoch >= resume && split.unit as usize % peers == worker {
                mine.entry(split.epoch).or_default().push(i);
            }
        }
        FileSource { plan, opts, mine }
    }
}

impl Source for FileSource {
    fn last_epoch(&self) -> Option<Epoch> {
        Some(self.plan.last_epoch)
    }

    fn read_epoch(&mut self, epoch: Epoch, emit: &mut dyn FnMut(Change)) -> EpochRead {
        let mut read = EpochRead::default();
        for &i in self.mine.get(&epoch).into_iter().flatten() {
            let split = &self.plan.splits[i];
            if split.is_pages() {
                emit(Change::insert(Input::PageFile(split.page_file())));
                read.inputs += 1;
            } else {
                read.inputs += split.read(&self.opts, &mut |r| emit(Change::insert(Input::Record(r))));
            }
            read.bytes += split.bytes;
        }
        read
    }
}
