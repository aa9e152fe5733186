//! The library's errors as Python exceptions, with the library's messages: a missing input
//! is a `FileNotFoundError`, an unreadable one an `InputError` (a `ValueError`), a refused
//! pack a `DatasetError` carrying the report.

use std::path::Path;

use pyo3::exceptions::{PyException, PyFileExistsError, PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use stimpack_core::Severity;

use crate::objects::Report;

pyo3::create_exception!(
    pystimpack,
    InputError,
    PyValueError,
    "The input exists but cannot be read as a dataset or a media file."
);
pyo3::create_exception!(
    pystimpack,
    DatasetError,
    PyException,
    "pack refused the dataset: it has errors. `report` is the check's Report."
);
pyo3::create_exception!(
    pystimpack,
    PackError,
    PyException,
    "pack could not write its output (or the options do not fit the input)."
);
pyo3::create_exception!(
    pystimpack,
    ProbeError,
    PyException,
    "A path given to probe_many that is not a readable file; `path` is that path."
);

/// At most this many error findings are quoted in a `DatasetError`'s message.
const QUOTED_ERRORS: usize = 5;

/// An input error as the exception a Python user expects.
pub fn input_error(e: &stimpack_core::InputError) -> PyErr {
    match e {
        stimpack_core::InputError::NotFound(_) => PyFileNotFoundError::new_err(e.to_string()),
        _ => InputError::new_err(e.to_string()),
    }
}

/// A pack error: input errors as [`input_error`], an existing output as `FileExistsError`.
pub fn pack_error(e: &stimpack_core::PackError) -> PyErr {
    match e {
        stimpack_core::PackError::Input(e) => input_error(e),
        stimpack_core::PackError::OutputExists(_) => PyFileExistsError::new_err(e.to_string()),
        _ => PackError::new_err(e.to_string()),
    }
}

/// The `DatasetError` of a refused pack: its message quotes the first errors, and its
/// `report` attribute is the whole report.
pub fn dataset_error(py: Python<'_>, report: stimpack_core::Report) -> PyErr {
    let errors: Vec<String> = report
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("  {i}"))
        .collect();
    let more = errors.len().saturating_sub(QUOTED_ERRORS);
    let mut message = format!(
        "{}: {} error(s); nothing written. Fix them (all are in this exception's `report`), then pack again:\n{}",
        report.input,
        errors.len(),
        errors[..errors.len().min(QUOTED_ERRORS)].join("\n")
    );
    if more > 0 {
        message.push_str(&format!("\n  ... and {more} more"));
    }
    let err = DatasetError::new_err(message);
    match Py::new(py, Report::from(report)) {
        Ok(report) => match err.value(py).setattr("report", report) {
            Ok(()) => err,
            Err(e) => e,
        },
        Err(e) => e,
    }
}

/// A `ProbeError` value (returned in `probe_many`'s list, not raised) for one path.
pub fn probe_error(py: Python<'_>, path: &Path, e: &stimpack_core::InputError) -> PyResult<Py<PyAny>> {
    let value = ProbeError::new_err(e.to_string()).into_value(py);
    value
        .bind(py)
        .setattr("path", path.to_string_lossy().into_owned())?;
    Ok(value.into_any())
}
