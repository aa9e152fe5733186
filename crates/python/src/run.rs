//! Running library calls without the GIL, so that other Python threads go on, and so that
//! Ctrl-C stops a long call.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often a waiting call takes the GIL back to look for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `work` on a thread of its own and waits for it with the GIL released, taking the GIL
/// back every [`SIGNAL_POLL`] to run Python's signal handlers: Ctrl-C raises
/// `KeyboardInterrupt` at once. The work itself cannot be stopped from outside; it is left to
/// finish on its thread and its result is dropped. Use only for work without side effects
/// (checking and probing read files, they write nothing).
pub fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("stimpack".into())
        .spawn(move || {
            // The receiver is gone only after Ctrl-C: nobody wants the result then.
            let _ = tx.send(work());
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread for the work: {e}")))?;
    let mut rx = rx;
    loop {
        // The receiver is handed to the GIL-free closure and back (it is not `Sync`).
        let (back, received) = py.detach(move || {
            let received = rx.recv_timeout(SIGNAL_POLL);
            (rx, received)
        });
        rx = back;
        match received {
            Ok(result) => return Ok(result),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "stimpack stopped with an internal error (a panic, printed above); please report it with the input that caused it",
                ));
            }
        }
    }
}
