//! Python exceptions and the mapping of core errors onto them. All are `ValueError`s, so callers that catch
//! `ValueError` (as librosa users do) keep working; the subclasses carry the detail as attributes.

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    stapes,
    ConfigError,
    PyValueError,
    "A config is invalid. `.field` names the offending field as a dotted path into the JSON form (for example \
     `frames.n_fft`)."
);
create_exception!(
    stapes,
    NonFiniteError,
    PyValueError,
    "An input sample is NaN or infinite. `.index` is the position of the first such sample; for a batch, `.item` \
     is the signal it is in."
);
create_exception!(
    stapes,
    NotStreamableError,
    PyValueError,
    "The config normalises over the whole utterance (`normalize: utterance`), which only offline extraction can do. \
     Use `stapes.extract`, or set `normalize` to `\"none\"` to stream."
);

/// A [`ConfigError`] naming `field`.
pub(crate) fn config_error(py: Python<'_>, field: &str, message: String) -> PyErr {
    let err = ConfigError::new_err(message);
    // Setting an attribute on a fresh exception instance cannot fail in practice; if it did, the error still says
    // which field in its message.
    let _ = err.value(py).setattr("field", field);
    err
}

/// The Python exception for a core error; `item` is the signal's position in a batch.
pub(crate) fn core_error(py: Python<'_>, e: stapes_core::Error, item: Option<usize>) -> PyErr {
    let prefix = item.map(|i| format!("batch item {i}: ")).unwrap_or_default();
    match e {
        stapes_core::Error::Config(c) => config_error(py, c.field(), format!("{prefix}{c}")),
        stapes_core::Error::NotStreamable => NotStreamableError::new_err(format!("{prefix}{e}")),
        stapes_core::Error::NonFinite { index } => {
            let err = NonFiniteError::new_err(format!(
                "{prefix}audio sample {index} is NaN or infinite; stapes refuses non-finite input rather than \
                 propagating it (clean it with numpy.nan_to_num if that is what you want)"
            ));
            let _ = err.value(py).setattr("index", index);
            let _ = err.value(py).setattr("item", item);
            err
        }
        // Sizes come from the plan, so these are bugs if they ever surface.
        other => PyRuntimeError::new_err(format!("{prefix}internal error (please report): {other}")),
    }
}
