//! Cluster configuration: worker threads per process and processes on timely's TCP
//! communication. The same binary started with `-n N -p i` on N machines (or N times on
//! one machine) forms one dataflow.

use std::sync::mpsc;
use std::time::Duration;

use crate::{EngineError, Result};

/// How many workers run, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Worker threads in this process (`-w`).
    pub workers: usize,
    /// Number of processes (`-n`).
    pub processes: usize,
    /// Index of this process, `0..processes` (`-p`).
    pub process: usize,
    /// `host:port` of every process, in process order. Empty means `127.0.0.1:2101 + p`.
    pub addresses: Vec<String>,
    /// How long a process of several waits at start for its peers to connect.
    pub connect_timeout: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            workers: 1,
            processes: 1,
            process: 0,
            addresses: Vec::new(),
            connect_timeout: Duration::from_secs(300),
        }
    }
}

/// Tells the watch of [`ClusterConfig::watch_formation`] that the cluster formed.
pub struct Formed(Option<mpsc::Sender<()>>);

impl Formed {
    /// Called by every worker when it starts: timely starts workers only once every
    /// connection is made.
    pub fn done(&self) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(());
        }
    }
}

impl ClusterConfig {
    /// Reads a hostfile: one `host:port` per line, blank lines and `#` comments ignored.
    pub fn read_hostfile(path: &std::path::Path) -> Result<Vec<String>> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| EngineError::Io { path: path.display().to_string(), source })?;
        Ok(text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// Total number of workers in the cluster.
    pub fn peers(&self) -> usize {
        self.workers * self.processes
    }

    /// Watches the start of a cluster of several processes. timely's networking waits for
    /// every peer without a limit, so a process whose peer never comes would wait forever;
    /// if no worker has started after [`connect_timeout`](Self::connect_timeout), the job
    /// fails ([`crate::fatal::fail`]) with a message that says what to check.
    pub fn watch_formation(&self) -> Formed {
        self.watch_formation_with(|message| crate::fatal::fail(message))
    }

    /// [`watch_formation`](Self::watch_formation), calling `on_timeout` with the message.
    fn watch_formation_with(&self, on_timeout: impl FnOnce(String) + Send + 'static) -> Formed {
        if self.processes <= 1 {
            return Formed(None);
        }
        let (tx, rx) = mpsc::channel();
        let (timeout, process, processes) = (self.connect_timeout, self.process, self.processes);
        let watch = std::thread::Builder::new().name("wenflow-cluster-watch".into()).spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(timeout) {
                on_timeout(format!(
                    "process {process} of {processes}: the cluster did not form within {} s: a peer did not \
                     connect (is every process started, with the same -n and hostfile, and can each reach the \
                     others' addresses?)",
                    timeout.as_secs_f64()
                ));
            }
        });
        match watch {
            Ok(_) => Formed(Some(tx)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the cluster watch: a missing peer is waited for without a limit");
                Formed(None)
            }
        }
    }

    /// Checks the configuration and turns it into timely's.
    pub fn to_timely(&self) -> Result<timely::Config> {
        if self.workers == 0 {
            return Err(EngineError::Cluster("at least one worker is needed (-w)".into()));
        }
        if self.processes == 0 || self.process >= self.processes {
            return Err(EngineError::Cluster(format!(
                "process index {} is not below the process count {}",
                self.process, self.processes
            )));
        }
        if self.processes == 1 {
            return Ok(timely::Config::process(self.workers));
        }
        let addresses = if self.addresses.is_empty() {
            (0..self.processes).map(|p| format!("127.0.0.1:{}", 2101 + p)).collect()
        } else {
            self.addresses.clone()
        };
        if addresses.len() < self.processes {
            return Err(EngineError::Cluster(format!(
                "the hostfile lists {} addresses for {} processes",
                addresses.len(),
                self.processes
            )));
        }
        let addresses = addresses[..self.processes].to_vec();
        Ok(timely::Config {
            communication: timely::CommunicationConfig::Cluster {
                threads: self.workers,
                process: self.process,
                addresses,
                report: false,
                zerocopy: false,
            },
            worker: timely::WorkerConfig::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_process_index() {
        let c = ClusterConfig { processes: 2, process: 2, ..ClusterConfig::default() };
        assert!(c.to_timely().is_err());
    }

    #[test]
    fn defaults_addresses_on_loopback() {
        let c = ClusterConfig { workers: 2, processes: 2, process: 1, ..ClusterConfig::default() };
        match c.to_timely().expect("config").communication {
            timely::CommunicationConfig::Cluster { addresses, process, threads, .. } => {
                assert_eq!(addresses, vec!["127.0.0.1:2101".to_string(), "127.0.0.1:2102".to_string()]);
                assert_eq!((process, threads), (1, 2));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    /// A process whose peer never connects is told after the timeout, with the message;
    /// one whose workers start in time, or a single process, is not.
    #[test]
    fn a_cluster_that_does_not_form_fails_after_the_timeout() {
        let watch = |config: ClusterConfig| {
            let (tx, rx) = mpsc::channel();
            let formed = config.watch_formation_with(move |m| {
                let _ = tx.send(m);
            });
            (formed, rx)
        };
        let short = Duration::from_millis(50);
        let (_formed, told) = watch(ClusterConfig { processes: 2, connect_timeout: short, ..Default::default() });
        let message = told.recv_timeout(Duration::from_secs(10)).expect("told after the timeout");
        assert!(message.starts_with("process 0 of 2: the cluster did not form within 0.05 s"), "{message}");

        let (formed, told) =
            watch(ClusterConfig { processes: 2, process: 1, connect_timeout: short, ..Default::default() });
        formed.done();
        assert!(told.recv_timeout(Duration::from_millis(300)).is_err());
        let (_formed, told) = watch(ClusterConfig { connect_timeout: short, ..Default::default() });
        assert!(told.recv_timeout(Duration::from_millis(300)).is_err());
    }
}
