//! Kafka topics as a stream source (librdkafka, bundled and built from source).
//!
//! **Partitions** are assigned explicitly, not by the consumer group: partition `p` of
//! topic `t` belongs to the worker a hash of `(t, p)` falls to, on every process alike, so
//! the assignment of a partition does not change when partitions are added (new
//! partitions are picked up from the topic's metadata every few seconds).
//!
//! **Positions** (the next offset of each partition) are wenflow's own: the `positions`
//! table commits them with each epoch, before the input log and the data tables, and a
//! restart seeks every partition to its position as of the last logged epoch. The
//! consumer group's offsets are committed only after an epoch commits, for lag tools.
//!
//! **Payloads**: JSON with the field mapping of `ingest` (an id field, else the message
//! key, names the document), or raw text whose document is the message key. A message
//! with the key of a live document is an update, a tombstone (a null value) deletes it;
//! a message without a key is a new document of its own (`topic/partition@offset`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use wenflow_engine::source::{Change, EpochRead, Input, InputRow, PositionRow, Source};
use wenflow_engine::{Document, Epoch, Failure, SourcePos, Stage, fatal};

use crate::files::{SourceOptions, message_records};
use crate::sources::{Logged, Share, StreamSource};
use crate::upserts::Upserts;
use crate::{ConnectorError, Result};

/// What a message's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Payload {
    /// A JSON object, read with the field mapping of `ingest`.
    Json,
    /// The document's text; the message key is its `doc_id`.
    Text,
}

/// How Kafka is read.
#[derive(Clone, Debug)]
pub struct KafkaOptions {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// Topics to read.
    pub topics: Vec<String>,
    /// The consumer group the offsets are committed to for lag tools.
    pub group: String,
    /// What a value is.
    pub payload: Payload,
    /// librdkafka settings passed through (`security.protocol`, `sasl.*`, `ssl.*`, …).
    pub settings: Vec<(String, String)>,
    /// An epoch closes after this long…
    pub interval: Duration,
    /// …or after this many messages on a worker.
    pub max_messages: usize,
    /// Read what the topics hold when the job starts, commit it, and end.
    pub once: bool,
}

impl KafkaOptions {
    fn consumer(&self) -> Result<BaseConsumer> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false");
        for (k, v) in &self.settings {
            config.set(k, v);
        }
        config.create().map_err(|e| ConnectorError::Kafka(format!("cannot create a consumer: {e}")))
    }

    /// The partitions of every topic. Fails with a clear message when the brokers cannot
    /// be reached or a topic does not exist.
    pub fn partitions(&self) -> Result<Vec<(String, i32)>> {
        list_partitions(&self.consumer()?, &self.topics, &self.brokers)
    }
}

impl StreamSource for KafkaOptions {
    fn kind(&self) -> &'static str {
        "kafka"
    }

    fn describe(&self) -> serde_json::Value {
        serde_json::json!({ "kafka": self.brokers, "topics": self.topics, "payload": self.payload })
    }

    fn check(&self) -> Result<()> {
        self.partitions().map(|_| ())
    }

    fn open(&self, share: Share, fields: Arc<SourceOptions>, logged: &Logged) -> Result<Box<dyn Source>> {
        let (worker, peers) = (share.worker, share.peers);
        let source =
            KafkaSource::new(self.clone(), fields, worker, peers, &logged.positions, &logged.state, &logged.replay)?;
        Ok(Box::new(source))
    }
}

fn list_partitions(consumer: &BaseConsumer, topics: &[String], brokers: &str) -> Result<Vec<(String, i32)>> {
    let mut partitions = Vec::new();
    for topic in topics {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).map_err(|e| {
            ConnectorError::Kafka(format!("cannot read the metadata of topic {topic} from {brokers}: {e}"))
        })?;
        for t in metadata.topics() {
            if let Some(e) = t.error() {
                return Err(ConnectorError::Kafka(format!(
                    "topic {topic}: {}",
                    rdkafka::error::RDKafkaErrorCode::from(e)
                )));
            }
            if t.partitions().is_empty() {
                return Err(ConnectorError::Kafka(format!("topic {topic} does not exist on {brokers}")));
            }
            partitions.extend(t.partitions().iter().map(|p| (topic.clone(), p.id())));
        }
    }
    partitions.sort();
    Ok(partitions)
}

fn partition_name(topic: &str, partition: i32) -> String {
    format!("{topic}/{partition}")
}

/// The worker a partition belongs to.
fn owner(topic: &str, partition: i32, peers: usize) -> usize {
    xxhash_rust::xxh3::xxh3_64(partition_name(topic, partition).as_bytes()) as usize % peers
}

/// The partition a logged key (`topic/partition/…`) belongs to.
fn key_partition(key: &str) -> Option<(&str, i32)> {
    let (topic, rest) = key.split_once('/')?;
    let (partition, _) = rest.split_once('/')?;
    Some((topic, partition.parse().ok()?))
}

/// One worker's share of the topics.
pub struct KafkaSource {
    opts: KafkaOptions,
    fields: Arc<SourceOptions>,
    worker: usize,
    peers: usize,
    consumer: BaseConsumer,
    /// Next offset of each assigned partition.
    next: BTreeMap<(String, i32), i64>,
    /// Positions as the `positions` table holds them (to retract when they move).
    logged: BTreeMap<(String, i32), i64>,
    /// Positions to commit to the consumer group once the epoch read last is committed.
    to_commit: Option<BTreeMap<(String, i32), i64>>,
    /// `once`: where each partition ended when the job started.
    ends: Option<BTreeMap<(String, i32), i64>>,
    keys: Upserts,
    positions: Vec<(PositionRow, isize)>,
    last_metadata: Instant,
    last_epoch: Option<Epoch>,
}

impl KafkaSource {
    /// Worker `worker` of `peers`'s share. `positions` is the `positions` table as of the
    /// last logged epoch, `state` and `replay` the input log (see [`Upserts::restore`]).
    pub fn new(
        opts: KafkaOptions,
        fields: Arc<SourceOptions>,
        worker: usize,
        peers: usize,
        positions: &[PositionRow],
        state: &[(InputRow, i64)],
        replay: &BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    ) -> Result<Self> {
        let consumer = opts.consumer()?;
        let keys = Upserts::restore(state, replay, |key| {
            key_partition(key).is_some_and(|(t, p)| owner(t, p, peers) == worker)
        });
        let mut logged = BTreeMap::new();
        for row in positions.iter().filter(|r| r.source == "kafka") {
            if let Some((topic, p)) = row.partition.rsplit_once('/')
                && let Ok(p) = p.parse::<i32>()
            {
                logged.insert((topic.to_owned(), p), row.position);
            }
        }
        let mut source = KafkaSource {
            opts,
            fields,
            worker,
            peers,
            consumer,
            next: BTreeMap::new(),
            logged,
            to_commit: None,
            ends: None,
            keys,
            positions: Vec::new(),
            last_metadata: Instant::now(),
            last_epoch: None,
        };
        source.assign()?;
        if source.opts.once {
            let mut ends = BTreeMap::new();
            for (topic, p) in source.next.keys() {
                let (_, high) = source
                    .consumer
                    .fetch_watermarks(topic, *p, Duration::from_secs(10))
                    .map_err(|e| ConnectorError::Kafka(format!("cannot read the end of {topic}/{p}: {e}")))?;
                ends.insert((topic.clone(), *p), high);
            }
            source.ends = Some(ends);
        }
        Ok(source)
    }

    /// Assigns this worker's partitions (all of them on the first call, new ones later),
    /// each from its logged position, else from its beginning.
    fn assign(&mut self) -> Result<()> {
        let all = list_partitions(&self.consumer, &self.opts.topics, &self.opts.brokers)?;
        let mine: Vec<(String, i32)> =
            all.into_iter().filter(|(t, p)| owner(t, *p, self.peers) == self.worker).collect();
        if mine.iter().all(|tp| self.next.contains_key(tp)) && !self.next.is_empty() {
            return Ok(());
        }
        let mut list = TopicPartitionList::new();
        for (topic, p) in &mine {
            let next = self.next.get(&(topic.clone(), *p)).or(self.logged.get(&(topic.clone(), *p))).copied();
            let offset = next.map_or(Offset::Beginning, Offset::Offset);
            list.add_partition_offset(topic, *p, offset)
                .map_err(|e| ConnectorError::Kafka(format!("cannot assign {topic}/{p}: {e}")))?;
            if !self.next.contains_key(&(topic.clone(), *p)) {
                tracing::info!(worker = self.worker, topic = %topic, partition = p, from = ?next, "reading partition");
                self.next.insert((topic.clone(), *p), next.unwrap_or(0));
            }
        }
        self.consumer.assign(&list).map_err(|e| ConnectorError::Kafka(format!("cannot assign partitions: {e}")))
    }

    /// Whether `once` has read every partition to where it ended at the start.
    fn caught_up(&self) -> bool {
        self.ends.as_ref().is_some_and(|ends| ends.iter().all(|(tp, end)| self.next.get(tp).is_none_or(|n| n >= end)))
    }

    /// The inputs of one message's value.
    fn inputs(&self, topic: &str, partition: i32, offset: i64, name: &str, payload: &[u8]) -> Vec<Input> {
        let source = format!("kafka://{topic}/{partition}@{offset}");
        let unit = xxhash_rust::xxh3::xxh3_64(partition_name(topic, partition).as_bytes()) >> 1;
        let pos = SourcePos { unit, index: offset as u64 };
        let mut inputs = Vec::new();
        match self.opts.payload {
            Payload::Json => message_records(&source, name, pos, payload, &self.fields, &mut |r| {
                inputs.push(Input::Record(r));
            }),
            Payload::Text => {
                let record = match std::str::from_utf8(payload) {
                    Ok(text) => Ok(Document {
                        doc_id: name.to_owned(),
                        source,
                        text: text.to_owned(),
                        pos,
                        ..Default::default()
                    }),
                    Err(e) => {
                        let error = format!("invalid UTF-8 at byte {}", e.valid_up_to());
                        Err(Failure::new(source, Some(name.to_owned()), Stage::Read, error, pos))
                    }
                };
                inputs.push(Input::Record(record));
            }
        }
        inputs
    }

    /// Commits the positions of the epoch read last to the consumer group (it is committed
    /// by now: the driver reads an epoch only once the one before has passed).
    fn commit_to_group(&mut self) {
        let Some(positions) = self.to_commit.take() else { return };
        let mut list = TopicPartitionList::new();
        for ((topic, p), next) in positions {
            if list.add_partition_offset(&topic, p, Offset::Offset(next)).is_err() {
                return;
            }
        }
        if let Err(e) = self.consumer.commit(&list, CommitMode::Async) {
            tracing::warn!(error = %e, "cannot commit offsets to the consumer group (lag tools only)");
        }
    }
}

impl Source for KafkaSource {
    fn last_epoch(&self) -> Option<Epoch> {
        self.last_epoch
    }

    fn read_epoch(&mut self, epoch: Epoch, emit: &mut dyn FnMut(Change)) -> EpochRead {
        self.commit_to_group();
        if let Some(read) = self.keys.replay(epoch, emit) {
            return read;
        }
        if self.last_metadata.elapsed() > Duration::from_secs(10) {
            self.last_metadata = Instant::now();
            if let Err(e) = self.assign() {
                tracing::warn!(error = %e, "cannot refresh the partitions");
            }
        }
        let mut read = EpochRead::default();
        let deadline = Instant::now() + self.opts.interval;
        let mut messages = 0usize;
        let mut moved = BTreeSet::new();
        while messages < self.opts.max_messages && !self.caught_up() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
            let Some(result) = self.consumer.poll(left) else { continue };
            let message = match result {
                Ok(m) => m,
                Err(e) => {
                    // Transient broker errors are retried by librdkafka; say them once.
                    tracing::warn!(error = %e, "kafka");
                    continue;
                }
            };
            messages += 1;
            let (topic, partition, offset) = (message.topic().to_owned(), message.partition(), message.offset());
            let key = message.key().map(|k| String::from_utf8_lossy(k).into_owned());
            let name = key.clone().unwrap_or_else(|| format!("{topic}/{partition}@{offset}"));
            let log_key = match &key {
                Some(k) => format!("{topic}/{partition}/{k}"),
                None => format!("{topic}/{partition}/@{offset}"),
            };
            read.bytes += message.payload().map_or(0, |p| p.len() as u64);
            match message.payload() {
                None => self.keys.remove(&log_key, emit),
                Some(payload) => {
                    let inputs = self.inputs(&topic, partition, offset, &name, payload);
                    read.inputs += self.keys.set(&log_key, Arc::from(offset.to_string().as_str()), inputs, emit);
                }
            }
            self.next.insert((topic.clone(), partition), offset + 1);
            moved.insert((topic, partition));
        }
        for tp in moved {
            let next = self.next[&tp];
            let row =
                |position| PositionRow { source: "kafka".into(), partition: partition_name(&tp.0, tp.1), position };
            if let Some(old) = self.logged.insert(tp.clone(), next) {
                self.positions.push((row(old), -1));
            }
            self.positions.push((row(next), 1));
        }
        self.to_commit = Some(self.next.clone());
        if self.opts.once && self.caught_up() && !self.keys.replaying() {
            self.last_epoch = Some(epoch);
        }
        read
    }

    fn take_restored(&mut self) -> Vec<Input> {
        self.keys.take_restored()
    }

    fn take_positions(&mut self) -> Vec<(PositionRow, isize)> {
        std::mem::take(&mut self.positions)
    }
}

/// Where failed records are produced after their epoch commits (`--dead-letter-topic`).
#[derive(Clone, Debug)]
pub struct DeadLetters {
    /// `bootstrap.servers`.
    pub brokers: String,
    /// The topic.
    pub topic: String,
    /// librdkafka settings passed through.
    pub settings: Vec<(String, String)>,
}

impl DeadLetters {
    fn producer(&self) -> Result<rdkafka::producer::BaseProducer> {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (k, v) in &self.settings {
            config.set(k, v);
        }
        config.create().map_err(|e| ConnectorError::Kafka(format!("cannot create a producer: {e}")))
    }

    /// Produces `failures` of `epoch` and waits until the broker has acknowledged them.
    fn produce(&self, producer: &rdkafka::producer::BaseProducer, epoch: Epoch, failures: &[Failure]) -> Result<()> {
        use rdkafka::producer::{BaseRecord, Producer};
        for f in failures {
            let value = serde_json::json!({
                "source": f.source, "doc_id": f.doc_id, "stage": f.stage, "error": f.error, "epoch": epoch,
            })
            .to_string();
            let mut record = BaseRecord::to(&self.topic).key(f.source.as_str()).payload(value.as_str());
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((e, back)) => {
                        // A full local queue: let deliveries drain, then retry.
                        tracing::debug!(error = %e, "dead letters: queue full");
                        producer.poll(Duration::from_millis(100));
                        record = back;
                    }
                }
            }
        }
        producer
            .flush(Duration::from_secs(30))
            .map_err(|e| ConnectorError::Kafka(format!("the broker did not acknowledge dead letters in 30 s: {e}")))
    }

    /// Produces again the dead letters of the last committed epoch: a run may have stopped
    /// after committing it and before they were acknowledged (no later epoch is read before
    /// they are), so producing them again on restart makes delivery at least once.
    pub fn redeliver(&self, epoch: Epoch, failures: &[Failure]) -> Result<()> {
        if failures.is_empty() {
            return Ok(());
        }
        self.produce(&self.producer()?, epoch, failures)
    }
}

/// Produces each epoch's new `failures` rows to the dead-letter topic once the epoch is
/// committed (the frontier of `committed` has passed it), keyed by the failed input
/// (`kafka://topic/partition@offset`, a file path), the value a JSON object with the
/// failure's columns and epoch. At least once: a run that stops after committing an epoch
/// and before its dead letters are acknowledged does not produce them again, so each
/// epoch's are flushed (acknowledged by the broker) before the next epoch is read, and a
/// restart produces the last committed epoch's again ([`DeadLetters::redeliver`]); a
/// broker that does not acknowledge them in 30 s fails the job.
pub fn dead_letters<'s>(
    failures: differential_dataflow::VecCollection<'s, Epoch, Failure>,
    committed: timely::dataflow::StreamVec<'s, Epoch, ()>,
    target: DeadLetters,
) -> timely::dataflow::StreamVec<'s, Epoch, ()> {
    use rdkafka::producer::BaseProducer;
    use timely::dataflow::channels::pact::Pipeline;
    use timely::dataflow::operators::generic::operator::Operator;

    let mut producer: Option<BaseProducer> = None;
    let mut stash: BTreeMap<Epoch, Vec<Failure>> = BTreeMap::new();
    failures.inner.binary_frontier::<_, timely::container::CapacityContainerBuilder<Vec<()>>, _, _, _, _>(
        committed,
        Pipeline,
        Pipeline,
        "DeadLetters",
        move |_cap, _info| {
            move |(failures, failures_frontier), (commits, commits_frontier), _output| {
                failures.for_each(|_cap, data| {
                    for (failure, time, diff) in data.drain(..) {
                        if diff > 0 {
                            stash.entry(time).or_default().push(failure);
                        }
                    }
                });
                commits.for_each(|_, _| {});
                while let Some((&epoch, _)) = stash.first_key_value() {
                    if failures_frontier.less_equal(&epoch) || commits_frontier.less_equal(&epoch) {
                        break;
                    }
                    let Some((_, batch)) = stash.pop_first() else { break };
                    let producer = producer.get_or_insert_with(|| {
                        target.producer().unwrap_or_else(|e| fatal::fail(format!("dead letters: {e}")))
                    });
                    if let Err(e) = target.produce(producer, epoch, &batch) {
                        fatal::fail(format!("dead letters of epoch {epoch}: {e}"));
                    }
                    tracing::debug!(epoch, records = batch.len(), topic = %target.topic, "dead letters produced");
                }
            }
        },
    )
}
