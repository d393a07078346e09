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
}

/// Result alias of the operators.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
