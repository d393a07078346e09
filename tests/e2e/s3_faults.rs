//! Object storage that fails: a store that goes away in the middle of a job, one that
//! stays away, refused credentials, and two processes that share nothing but the store.
//! The store is `moto_server` on 127.0.0.1 (see [`super::s3`]); outages are made by a TCP
//! proxy in front of it that this file runs, since moto keeps its state in memory and
//! cannot itself be restarted without losing it.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::s3::{LOGS, Moto, material, sorted};
use super::support::{python, sql_csv, wenflow};

#[derive(Default)]
struct ProxyState {
    up: AtomicBool,
    /// Answer every request with 503 SlowDown, as a throttling store does.
    throttle: AtomicBool,
    stop: AtomicBool,
    /// Bytes sent to the store so far.
    sent: AtomicU64,
    open: Mutex<Vec<TcpStream>>,
}

/// A TCP proxy of the store on its own port that can be taken down (every connection cut,
/// new ones refused), made to throttle (every request answered `503 SlowDown`) and brought
/// back up on the same port.
struct Proxy {
    port: u16,
    state: Arc<ProxyState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let probe = TcpListener::bind("127.0.0.1:0").expect("free port");
        let port = probe.local_addr().expect("addr").port();
        drop(probe);
        let state = Arc::new(ProxyState { up: AtomicBool::new(true), ..ProxyState::default() });
        let st = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            while !st.stop.load(Ordering::SeqCst) {
                if !st.up.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the proxy port again");
                listener.set_nonblocking(true).expect("nonblocking");
                while st.up.load(Ordering::SeqCst) && !st.stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            client.set_nonblocking(false).expect("blocking");
                            if st.throttle.load(Ordering::SeqCst) {
                                slow_down(client);
                                continue;
                            }
                            let Ok(server) = TcpStream::connect(&upstream) else { continue };
                            let mut open = st.open.lock().expect("lock");
                            open.push(client.try_clone().expect("clone"));
                            open.push(server.try_clone().expect("clone"));
                            drop(open);
                            pump(client.try_clone().expect("clone"), server.try_clone().expect("clone"), Some(&st));
                            pump(server, client, None);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
                drop(listener);
                for c in st.open.lock().expect("lock").drain(..) {
                    let _ = c.shutdown(Shutdown::Both);
                }
            }
        });
        Proxy { port, state, thread: Some(thread) }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn sent(&self) -> u64 {
        self.state.sent.load(Ordering::SeqCst)
    }

    /// Cuts every connection and refuses new ones.
    fn down(&self) {
        self.state.up.store(false, Ordering::SeqCst);
    }

    /// Accepts connections again, and answers each request with `503 SlowDown`.
    fn throttle(&self) {
        self.state.throttle.store(true, Ordering::SeqCst);
        self.state.up.store(true, Ordering::SeqCst);
    }

    /// Serves again.
    fn up(&self) {
        self.state.throttle.store(false, Ordering::SeqCst);
        self.state.up.store(true, Ordering::SeqCst);
    }

    /// Takes the store down once `bytes` have been sent to it (polled every 5 ms).
    fn down_after(&self, bytes: u64, job: &mut std::process::Child) -> bool {
        loop {
            if self.sent() >= bytes {
                self.down();
                return true;
            }
            if job.try_wait().expect("try_wait").is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.up.store(false, Ordering::SeqCst);
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers the requests of a connection with S3's `503 SlowDown`, on a thread.
fn slow_down(mut client: TcpStream) {
    std::thread::spawn(move || {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
                    <Message>Please reduce your request rate.</Message></Error>";
        let mut head = Vec::new();
        let mut buf = [0u8; 64 << 10];
        while let Ok(n) = client.read(&mut buf) {
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                let answer = format!(
                    "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = client.write_all(answer.as_bytes());
                break;
            }
        }
        let _ = client.shutdown(Shutdown::Both);
    });
}

/// Copies `from` to `to` on a thread until either side closes; counts what goes upstream.
fn pump(mut from: TcpStream, mut to: TcpStream, count: Option<&Arc<ProxyState>>) {
    let count = count.map(Arc::clone);
    std::thread::spawn(move || {
        let mut buf = [0u8; 64 << 10];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(c) = &count {
                c.sent.fetch_add(n as u64, Ordering::SeqCst);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// The seven change logs of a local output, with its input folder's path written as the
/// input's URL in the store.
fn local_logs(out: &Path, local_input: &str, url: &str) -> Vec<Vec<String>> {
    LOGS.iter().map(|log| sorted(&sql_csv(out, &format!("SELECT * FROM {log}")).replace(local_input, url))).collect()
}

fn store_logs(moto: &Moto, out: &str) -> Vec<Vec<String>> {
    LOGS.iter().map(|log| moto.rows(out, &format!("SELECT * FROM {log}"))).collect()
}

/// The store goes away for 1.5 seconds in the middle of an ingest (every connection cut,
/// new ones refused), then throttles for 1.5 seconds (every request answered `503
/// SlowDown`): the job retries through both and completes with every input exactly once. Then it goes away for good under a job that retries for two seconds: the
/// job fails with one clear line, and once the store is back a re-run resumes after the
/// epochs that were committed and ends with the same tables.
#[test]
fn a_store_that_goes_away_mid_job_costs_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = material(dir.path());
    let input_arg = input.to_str().expect("utf-8 path");
    let moto = Moto::start();
    moto.create_bucket("faults");
    let proxy = Proxy::start(&moto.endpoint);
    let job = ["-w", "2", "--epoch-mb", "0.02", "--job-id", "outage"];
    let reference = dir.path().join("reference");
    let run = wenflow().args(["ingest", input_arg, "--out"]).arg(&reference).args(job).output().expect("run");
    assert!(run.status.success(), "reference: {}", String::from_utf8_lossy(&run.stderr));
    let expected = local_logs(&reference, input_arg, input_arg);

    // An outage and then throttling, after the first 200 kB went to the store.
    let out = "s3://faults/brief";
    let mut child = moto
        .command_via(
            &proxy.endpoint(),
            &[&["ingest", input_arg, "--out", out, "--s3-retry-s", "60"][..], &job].concat(),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(proxy.down_after(200_000, &mut child), "the job ended before the outage");
    std::thread::sleep(Duration::from_millis(1500));
    proxy.throttle();
    std::thread::sleep(Duration::from_millis(1500));
    proxy.up();
    let done = child.wait_with_output().expect("wait");
    assert!(done.status.success(), "through the outage: {}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(store_logs(&moto, out), expected, "every input exactly once after the outage");

    // An outage that outlasts the retries: a clear failure, then a resumed re-run.
    let out = "s3://faults/long";
    let args = [&["ingest", input_arg, "--out", out, "--s3-retry-s", "2"][..], &job].concat();
    let mut child = moto
        .command_via(&proxy.endpoint(), &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(proxy.down_after(proxy.sent() + 300_000, &mut child), "the job ended before the outage");
    let failed = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "the store stayed down: the job must fail");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert!(errors.len() == 1 && !stderr.contains("panicked"), "one clear error, not a panic: {stderr}");
    assert!(errors[0].contains("faults/long"), "it names the output in the store: {stderr}");
    proxy.up();
    let rerun = moto.command_via(&proxy.endpoint(), &args).output().expect("rerun");
    assert!(rerun.status.success(), "rerun: {}", String::from_utf8_lossy(&rerun.stderr));
    let summary = String::from_utf8_lossy(&rerun.stdout);
    assert!(summary.contains("epochs     ") && !summary.contains("epochs     1..="), "resumed: {summary}");
    assert_eq!(store_logs(&moto, out), expected, "every input exactly once after the failure and the re-run");
    // The index, whose commit of the epoch the outage cut short was replayed from the tables.
    for query in ["對酒當歌", "子曰", "人生若只如初見"] {
        let reference = reference.to_str().expect("utf-8");
        assert_eq!(moto.search(out, query, &[]), moto.search(reference, query, &[]), "search {query}");
    }
}

/// Two processes (`-n 2`) read their inputs from the store and write one output to it,
/// each from its own folder with its own cache: no directory is shared. Their tables
/// equal a local `-w 2` ingest of the same files, and so do their index's hits.
#[test]
fn two_processes_share_nothing_but_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = material(dir.path());
    let moto = Moto::start();
    moto.create_bucket("procs");
    moto.upload(&input, "procs", "in");
    let opts = ["--epoch-mb", "0.05", "--split-mb", "0.02", "--job-id", "two"];
    let reference = dir.path().join("reference");
    let run = wenflow()
        .args(["ingest", input.to_str().expect("utf-8"), "--out"])
        .arg(&reference)
        .args(["-w", "2"])
        .args(opts)
        .output()
        .expect("run");
    assert!(run.status.success(), "reference: {}", String::from_utf8_lossy(&run.stderr));

    let ports: Vec<u16> = (0..2)
        .map(|_| TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port"))
        .collect();
    let hosts = format!("127.0.0.1:{}\n127.0.0.1:{}\n", ports[0], ports[1]);
    let out = "s3://procs/out";
    let spawn = |p: usize| {
        let home = dir.path().join(format!("machine-{p}"));
        std::fs::create_dir_all(&home).expect("mkdir");
        std::fs::write(home.join("hosts.txt"), &hosts).expect("hostfile");
        let process = p.to_string();
        let args = [
            &["ingest", "s3://procs/in", "--out", out, "-w", "1", "-n", "2", "-p", &process][..],
            &["--hostfile", "hosts.txt", "--index-cache", "cache"],
            &opts,
        ]
        .concat();
        let mut c = moto.command(&args);
        c.current_dir(&home).env("WENFLOW_CACHE", home.join("cache")).env("HOME", &home);
        c.spawn().expect("spawn")
    };
    let mut p1 = spawn(1);
    let mut p0 = spawn(0);
    assert!(p0.wait().expect("wait p0").success(), "process 0 failed");
    assert!(p1.wait().expect("wait p1").success(), "process 1 failed");

    let local_input = input.to_str().expect("utf-8");
    let (got, want) = (store_logs(&moto, out), local_logs(&reference, local_input, "s3://procs/in"));
    assert_eq!(got, want, "-n 2 on S3 against -w 2");
    let from_store = moto.search(out, "明月", &[]);
    assert!(from_store.0.as_u64().is_some_and(|n| n > 3), "{from_store:?}");
    let reference = reference.to_str().expect("utf-8");
    assert_eq!(from_store, moto.search(reference, "明月", &[]), "search hits, -n 2 on S3 against -w 2");
    // Each process cached only its own shard.
    for p in 0..2 {
        let write = dir.path().join(format!("machine-{p}/cache/write"));
        let shards: Vec<String> = std::fs::read_dir(&write)
            .expect("cache")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("shard-"))
            .collect();
        assert_eq!(shards, [format!("shard-{p:04}")], "process {p} writes its own shard");
    }
}

/// With moto enforcing IAM (`INITIAL_NO_AUTH_ACTION_COUNT`), keys it does not know are
/// refused with one line that says so; the keys of a user it knows work.
#[test]
fn wrong_credentials_are_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("poems.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"白日依山盡，黃河入海流。\"}\n").expect("write");
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]);
    // Four unauthenticated actions: a bucket, a user, its keys, its policy.
    let script = "import sys, json, boto3\nkw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', \
                  aws_access_key_id='testing', aws_secret_access_key='testing')\n\
                  boto3.client('s3', **kw).create_bucket(Bucket='locked')\niam = boto3.client('iam', **kw)\n\
                  iam.create_user(UserName='reader')\nk = iam.create_access_key(UserName='reader')['AccessKey']\n\
                  policy = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}\n\
                  iam.put_user_policy(UserName='reader', PolicyName='all', PolicyDocument=json.dumps(policy))\n\
                  print(k['AccessKeyId'], k['SecretAccessKey'])";
    let out = Command::new(python()).args(["-c", script, &moto.endpoint]).output().expect("python");
    assert!(out.status.success(), "iam: {}", String::from_utf8_lossy(&out.stderr));
    let keys = String::from_utf8_lossy(&out.stdout).into_owned();
    let (key, secret) = keys.trim().split_once(' ').expect("two keys");

    let job = ["ingest", input.to_str().expect("utf-8"), "--out", "s3://locked/out", "--s3-retry-s", "5"];
    let refused = moto.command(&job).output().expect("run");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused the credentials") && stderr.trim().lines().count() == 1, "{stderr}");
    let input_read = moto
        .command(&["ingest", "s3://locked/in/", "--out", dir.path().join("o").to_str().expect("utf-8")])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&input_read.stderr);
    assert!(!input_read.status.success() && stderr.contains("refused the credentials"), "{stderr}");

    let allowed =
        moto.command(&job).env("AWS_ACCESS_KEY_ID", key).env("AWS_SECRET_ACCESS_KEY", secret).output().expect("run");
    assert!(allowed.status.success(), "a known user's keys: {}", String::from_utf8_lossy(&allowed.stderr));
}

/// A child process killed when dropped (when an assertion fails while it runs).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Readers of an output in the store while a job writes it see whole epochs only: every
/// `count(*)` of `documents` taken during the job is the count after some committed epoch,
/// and every search pulls a published state of each shard (its files are there before its
/// `meta.json` names them), so none fails.
#[test]
fn readers_during_a_job_see_whole_epochs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = material(dir.path());
    // Many small epochs: a generated JSONL file read in ranges of 10 kB.
    super::support::generated_jsonl(&input.join("generated.jsonl"), 1500);
    let moto = Moto::start();
    moto.create_bucket("whole");
    let out = "s3://whole/out";
    let epochs = ["--epoch-mb", "0.02", "--split-mb", "0.01"];
    let args = [&["ingest", input.to_str().expect("utf-8"), "--out", out, "-w", "2"][..], &epochs].concat();
    let mut job = Killed(moto.command(&args).stdout(std::process::Stdio::null()).spawn().expect("spawn"));
    let job = &mut job.0;
    let (mut counts, mut searches) = (Vec::new(), 0);
    while job.try_wait().expect("try_wait").is_none() {
        let sql = moto.wenflow(&["sql", "SELECT count(*) AS n FROM documents", "--format", "csv", "--data", out]);
        let text = String::from_utf8_lossy(&sql.stdout);
        match text.lines().nth(1).and_then(|l| l.trim().parse::<i64>().ok()) {
            Some(n) if sql.status.success() => counts.push(n),
            // Before the first commit there is no table yet.
            _ => assert!(counts.is_empty(), "a read failed mid-job: {}", String::from_utf8_lossy(&sql.stderr)),
        }
        let search = moto.wenflow(&["search", "明月", "--format", "json", "--index", out]);
        let stderr = String::from_utf8_lossy(&search.stderr);
        if search.status.success() {
            searches += 1;
        } else {
            assert!(searches == 0 && stderr.contains("no index here"), "a search failed mid-job: {stderr}");
        }
    }
    assert!(job.wait().expect("wait").success(), "the job failed");
    let per_epoch = moto.rows(out, "SELECT time, sum(diff) FROM documents_log GROUP BY time");
    let mut totals: Vec<(i64, i64)> = per_epoch
        .iter()
        .filter_map(|l| l.split_once(',').and_then(|(t, n)| Some((t.parse().ok()?, n.parse().ok()?))))
        .collect();
    totals.sort();
    let mut whole = vec![0i64];
    for (_, n) in &totals {
        whole.push(whole.last().copied().unwrap_or(0) + n);
    }
    assert!(totals.len() > 5, "many epochs: {totals:?}");
    let mut seen = counts.clone();
    seen.dedup();
    assert!(seen.len() >= 2, "reads saw the output grow: {counts:?}");
    let partial: Vec<&i64> = counts.iter().filter(|c| !whole.contains(c)).collect();
    assert!(partial.is_empty(), "counts between epochs {partial:?}; whole epochs give {whole:?}");
}
