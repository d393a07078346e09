//! Cluster configuration: worker threads per process and processes on timely's TCP
//! communication. The same binary started with `-n N -p i` on N machines (or N times on
//! one machine) forms one dataflow.

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
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig { workers: 1, processes: 1, process: 0, addresses: Vec::new() }
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
        let c = ClusterConfig { workers: 1, processes: 2, process: 2, addresses: vec![] };
        assert!(c.to_timely().is_err());
    }

    #[test]
    fn defaults_addresses_on_loopback() {
        let c = ClusterConfig { workers: 2, processes: 2, process: 1, addresses: vec![] };
        match c.to_timely().expect("config").communication {
            timely::CommunicationConfig::Cluster { addresses, process, threads, .. } => {
                assert_eq!(addresses, vec!["127.0.0.1:2101".to_string(), "127.0.0.1:2102".to_string()]);
                assert_eq!((process, threads), (1, 2));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
