//! `wenflow-kafka-mock`: librdkafka's own mock cluster on 127.0.0.1, for trying
//! `wenflow stream --kafka` without a broker and for the end-to-end tests (the broker lives
//! in this process, so it outlives a wenflow process that is killed).
//!
//! ```text
//! wenflow-kafka-mock serve --topic docs:3 [--topic dead:1]   # prints bootstrap.servers, runs until stdin closes
//! wenflow-kafka-mock produce --brokers B --topic docs < messages.jsonl
//! wenflow-kafka-mock consume --brokers B --topic dead         # prints every message it holds, a JSON line each
//! ```
//!
//! A message line is `{"key": "a", "value": "…" | {…} | null, "partition": 0}`: a string
//! value is sent as is, an object as its JSON text, `null` as a tombstone; `partition` is
//! optional (librdkafka's partitioner then hashes the key).

use std::io::{BufRead, Write};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

type Error = Box<dyn std::error::Error>;

fn arg(args: &[String], name: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == name).map(|w| w[1].clone()).collect()
}

fn serve(args: &[String]) -> Result<(), Error> {
    let cluster = MockCluster::new(1)?;
    for spec in arg(args, "--topic") {
        let (topic, partitions) = spec.split_once(':').unwrap_or((&spec, "1"));
        cluster.create_topic(topic, partitions.parse()?, 1)?;
    }
    println!("{}", cluster.bootstrap_servers());
    std::io::stdout().flush()?;
    // Until the parent closes stdin (or kills this process).
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink)? > 0 {
        sink.clear();
    }
    Ok(())
}

fn produce(args: &[String]) -> Result<(), Error> {
    let brokers = arg(args, "--brokers").pop().ok_or("--brokers is required")?;
    let topic = arg(args, "--topic").pop().ok_or("--topic is required")?;
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", &brokers).create()?;
    let mut sent = 0;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let m: serde_json::Value = serde_json::from_str(&line)?;
        let key = m["key"].as_str().map(str::to_owned);
        let value = match &m["value"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let mut record: BaseRecord<'_, str, str> = BaseRecord::to(&topic);
        if let Some(k) = &key {
            record = record.key(k.as_str());
        }
        if let Some(v) = &value {
            record = record.payload(v.as_str());
        }
        if let Some(p) = m["partition"].as_i64() {
            record = record.partition(p as i32);
        }
        producer.send(record).map_err(|(e, _)| e)?;
        producer.poll(Duration::ZERO);
        sent += 1;
    }
    producer.flush(Duration::from_secs(30))?;
    eprintln!("produced {sent} messages to {topic}");
    Ok(())
}

fn consume(args: &[String]) -> Result<(), Error> {
    let brokers = arg(args, "--brokers").pop().ok_or("--brokers is required")?;
    let topic = arg(args, "--topic").pop().ok_or("--topic is required")?;
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "wenflow-kafka-mock")
        .set("enable.auto.commit", "false")
        .create()?;
    // Every partition from its beginning to its end as of now (no group rebalance to wait for).
    let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(10))?;
    let mut list = rdkafka::TopicPartitionList::new();
    let mut ends = std::collections::BTreeMap::new();
    for t in metadata.topics() {
        for p in t.partitions() {
            let (low, high) = consumer.fetch_watermarks(&topic, p.id(), Duration::from_secs(10))?;
            if high > low {
                list.add_partition_offset(&topic, p.id(), rdkafka::Offset::Offset(low))?;
                ends.insert(p.id(), high);
            }
        }
    }
    consumer.assign(&list)?;
    let mut out = std::io::stdout().lock();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ends.is_empty() && std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
                let value = m.payload().map(|v| String::from_utf8_lossy(v).into_owned());
                let line =
                    serde_json::json!({"key": key, "value": value, "partition": m.partition(), "offset": m.offset()});
                writeln!(out, "{line}")?;
                if ends.get(&m.partition()).is_some_and(|end| m.offset() + 1 >= *end) {
                    ends.remove(&m.partition());
                }
            }
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    if !ends.is_empty() {
        return Err(format!("partitions {:?} not read to their end in 30 s", ends.keys()).into());
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args),
        Some("produce") => produce(&args),
        Some("consume") => consume(&args),
        _ => Err("usage: wenflow-kafka-mock serve|produce|consume (see the source's header)".into()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
