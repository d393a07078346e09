//! Tesseract in a child process: the per-page OCR deadline, and isolation from crashes.
//!
//! A timely worker keeps one [`OcrProcess`]: a child (`wenflow ocr-worker`, running
//! [`serve`]) holding one [`OcrEngine`] for its whole life, fed one page at a time over
//! its standard input. Tesseract's C API offers no deadline, and a hostile image that
//! crashes Tesseract or leptonica would take the whole worker with it; in a child, a page
//! past its deadline is killed and reported, a crash is reported, and the next page gets a
//! fresh child. The child runs with `OMP_THREAD_LIMIT=1`.
//!
//! Protocol, both ways: a little-endian `u32` length and that many bytes of JSON, then
//! (requests only) the page's grey pixels, `width * height` bytes.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::decode::GrayPage;
use super::engine::{OcrConfig, OcrEngine, PageText};
use crate::error::{OperatorError, Result};

#[derive(Serialize, Deserialize)]
struct Request {
    width: u32,
    height: u32,
}

#[derive(Serialize, Deserialize)]
enum Response {
    Text(PageText),
    Error(String),
}

fn write_frame(w: &mut impl Write, json: &[u8], tail: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(json.len()).map_err(|_| std::io::Error::other("frame too long"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(json)?;
    w.write_all(tail)?;
    w.flush()
}

fn read_json<T: for<'de> Deserialize<'de>>(r: &mut impl Read) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    serde_json::from_slice(&buf).map(Some).map_err(std::io::Error::other)
}

/// The child's loop: answers every page read from `input` on `output`, until `input`
/// ends. The engine is initialised first, so a missing model fails the child at once.
pub fn serve(config: OcrConfig, input: impl Read, output: impl Write) -> Result<()> {
    let mut engine = OcrEngine::new(config);
    engine.check()?;
    let io_err = |e: std::io::Error| OperatorError::Ocr(format!("ocr worker: {e}"));
    let (mut input, mut output) = (BufReader::new(input), BufWriter::new(output));
    while let Some(req) = read_json::<Request>(&mut input).map_err(io_err)? {
        let mut pixels = vec![0u8; req.width as usize * req.height as usize];
        input.read_exact(&mut pixels).map_err(io_err)?;
        let page = GrayPage { width: req.width, height: req.height, pixels };
        let response = match engine.recognize(&page) {
            Ok(t) => Response::Text(t),
            Err(e) => Response::Error(e.to_string()),
        };
        let json = serde_json::to_vec(&response).map_err(|e| OperatorError::Ocr(e.to_string()))?;
        write_frame(&mut output, &json, &[]).map_err(io_err)?;
    }
    Ok(())
}

struct Running {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    responses: Receiver<std::io::Result<Option<Response>>>,
}

/// A worker's OCR child process; see the module documentation.
pub struct OcrProcess {
    program: PathBuf,
    args: Vec<String>,
    config: OcrConfig,
    timeout: Duration,
    running: Option<Running>,
}

impl std::fmt::Debug for OcrProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrProcess").field("program", &self.program).field("timeout", &self.timeout).finish()
    }
}

/// The environment variable that carries the OCR options to the child.
pub const CONFIG_ENV: &str = "WENFLOW_OCR_CONFIG";

impl OcrProcess {
    /// A process running `program args…` (which must call [`serve`] with the options it
    /// finds in [`CONFIG_ENV`]), started on the first page.
    pub fn new(program: PathBuf, args: Vec<String>, config: OcrConfig, timeout: Duration) -> Self {
        OcrProcess { program, args, config, timeout, running: None }
    }

    fn start(&mut self) -> Result<&mut Running> {
        if self.running.is_none() {
            let config = serde_json::to_string(&self.config).map_err(|e| OperatorError::Ocr(e.to_string()))?;
            let mut child = Command::new(&self.program)
                .args(&self.args)
                .env("OMP_THREAD_LIMIT", "1")
                .env(CONFIG_ENV, config)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| {
                    OperatorError::Ocr(format!("cannot start the ocr worker {}: {e}", self.program.display()))
                })?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err(OperatorError::Ocr("ocr worker without pipes".into()));
            };
            let (tx, rx) = channel();
            std::thread::spawn(move || {
                let mut stdout = BufReader::new(stdout);
                loop {
                    let r = read_json::<Response>(&mut stdout);
                    let end = !matches!(r, Ok(Some(_)));
                    if tx.send(r).is_err() || end {
                        break;
                    }
                }
            });
            self.running = Some(Running { child, stdin: BufWriter::new(stdin), responses: rx });
        }
        self.running.as_mut().ok_or_else(|| OperatorError::Ocr("ocr worker not running".into()))
    }

    fn stop(&mut self) {
        if let Some(mut r) = self.running.take() {
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
    }

    /// Recognises one page in the child; past the deadline the child is killed and the
    /// page fails with [`OperatorError::Timeout`]; a child that dies fails the page.
    pub fn recognize(&mut self, page: &GrayPage) -> Result<PageText> {
        let timeout = self.timeout;
        let running = self.start()?;
        let req = serde_json::to_vec(&Request { width: page.width, height: page.height })
            .map_err(|e| OperatorError::Ocr(e.to_string()))?;
        let sent = write_frame(&mut running.stdin, &req, &page.pixels);
        let answer = match sent {
            Err(e) => Err(OperatorError::Ocr(format!("the ocr worker stopped reading: {e}"))),
            Ok(()) => match running.responses.recv_timeout(timeout) {
                Ok(Ok(Some(Response::Text(t)))) => return Ok(t),
                Ok(Ok(Some(Response::Error(e)))) => return Err(OperatorError::Ocr(e)),
                Ok(Ok(None)) | Err(RecvTimeoutError::Disconnected) => {
                    let status = running.child.wait().map(|s| s.to_string()).unwrap_or_default();
                    Err(OperatorError::Ocr(format!("the ocr worker died on this page ({status})")))
                }
                Ok(Err(e)) => Err(OperatorError::Ocr(format!("the ocr worker answered garbage: {e}"))),
                Err(RecvTimeoutError::Timeout) => {
                    Err(OperatorError::Timeout { what: "ocr of the page".into(), ms: timeout.as_millis() as u64 })
                }
            },
        };
        self.stop();
        answer
    }
}

impl Drop for OcrProcess {
    fn drop(&mut self) {
        if let Some(mut r) = self.running.take() {
            // Closing stdin ends the child's loop; kill it if it is stuck on a page.
            drop(r.stdin);
            if r.child.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(20));
                if r.child.try_wait().ok().flatten().is_none() {
                    let _ = r.child.kill();
                }
            }
            let _ = r.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::fixtures::page;

    /// The protocol end to end, in-process: `serve` over pipes answers a page.
    #[test]
    fn serve_answers_pages_over_the_protocol() {
        let page = page("page-h.png");
        let mut input = Vec::new();
        let req = serde_json::to_vec(&Request { width: page.width, height: page.height }).expect("json");
        write_frame(&mut input, &req, &page.pixels).expect("frame");
        let mut output = Vec::new();
        serve(OcrConfig::default(), &input[..], &mut output).expect("serve");
        let answer: Response = read_json(&mut &output[..]).expect("read").expect("one answer");
        match answer {
            Response::Text(t) => assert!(t.text.contains("明月"), "{t:?}"),
            Response::Error(e) => panic!("{e}"),
        }
    }

    /// A child that never answers is killed at the deadline, and one that dies is
    /// reported; both are real processes (`sleep`, `false`).
    #[test]
    fn deadlines_and_deaths_fail_the_page_not_the_caller() {
        let page = GrayPage { width: 2, height: 2, pixels: vec![255; 4] };
        let mut slow =
            OcrProcess::new("sleep".into(), vec!["30".into()], OcrConfig::default(), Duration::from_millis(200));
        let err = slow.recognize(&page).expect_err("deadline");
        assert!(matches!(err, OperatorError::Timeout { ms: 200, .. }), "{err}");
        let mut dead = OcrProcess::new("false".into(), vec![], OcrConfig::default(), Duration::from_secs(5));
        let err = dead.recognize(&page).expect_err("death");
        assert!(err.to_string().contains("ocr worker"), "{err}");
    }
}
