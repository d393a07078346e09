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

/// Result alias of the operators.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
