//! Errors of the operators.

use thiserror::Error;

/// Errors raised by operator configuration.
#[derive(Debug, Error)]
pub enum OperatorError {
    /// An option has a value the operator cannot use.
    #[error("invalid option {name}: {message}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why it is invalid.
        message: String,
    },
    /// A page image or document cannot be decoded (corrupt, truncated, unsupported).
    #[error("cannot decode: {0}")]
    Decode(String),
    /// A resource limit was hit (file size, pages, pixels per page, OCR time).
    #[error("{what} {value} is over the limit of {limit} ({option})")]
    Limit {
        /// What was measured.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The limit.
        limit: u64,
        /// The option that sets the limit.
        option: &'static str,
    },
    /// A step ran past its deadline and was stopped.
    #[error("{what} ran past its deadline of {ms} ms and was stopped")]
    Timeout {
        /// What ran.
        what: String,
        /// The deadline in milliseconds.
        ms: u64,
    },
    /// The OCR engine failed.
    #[error("ocr: {0}")]
    Ocr(String),
    /// A gazetteer file cannot be read or has a bad line.
    #[error("gazetteer {origin}, line {line}: {message}")]
    Gazetteer {
        /// The file.
        origin: String,
        /// The line (1-based; 0 when the file cannot be read).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl OperatorError {
    /// A file whose content cannot be decoded.
    pub fn decode(message: impl Into<String>) -> Self {
        OperatorError::Decode(message.into())
    }
}

/// Result alias of the operators.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
