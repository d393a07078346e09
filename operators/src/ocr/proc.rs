//! Running a helper program with a deadline.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{OperatorError, Result};

/// What a finished helper printed.
#[derive(Debug)]
pub struct Finished {
    /// Its standard output.
    pub stdout: Vec<u8>,
}

/// Runs `cmd` to completion, reading its output as it comes. Kills it when it runs past
/// `timeout` or prints more than `max_output` bytes, and fails when it exits non-zero.
pub fn run(mut cmd: Command, timeout: Duration, max_output: usize) -> Result<Finished> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| {
            OperatorError::decode(format!("cannot run {name}: {e} (make setup installs poppler-utils)"))
        })?;
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(OperatorError::decode(format!("{name}: no pipes")));
    };
    let limit = max_output as u64 + 1;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut out).take(limit).read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut err).take(64 << 10).read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(OperatorError::Timeout { what: name, ms: timeout.as_millis() as u64 });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(OperatorError::decode(format!("{name}: {e}"))),
        }
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if stdout.len() > max_output {
        return Err(OperatorError::decode(format!("{name} printed over {max_output} bytes")));
    }
    if !status.success() {
        let msg = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_owned();
        return Err(OperatorError::decode(format!("{name} failed ({status}): {msg}")));
    }
    Ok(Finished { stdout })
}
