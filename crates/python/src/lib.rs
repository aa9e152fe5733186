//! `pystimpack._native`: the Python module over `stimpack-core`. It converts arguments into
//! the library's options and results into Python objects, and nothing else: every rule,
//! message and reading comes from `stimpack-core`.
//!
//! Work runs with the GIL released; `check` and `probe_many` also wake every 50 ms to let
//! Ctrl-C through (see `run.rs`).
#![deny(missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rayon::prelude::*;
use stimpack_core::{CheckOptions, ExperimentType, NoopReporter, PackOptions, PackOutcome, probe_file};

mod errors;
mod objects;
mod options;
mod results;
mod run;

use errors::{DatasetError, InputError, PackError, ProbeError};
use objects::{Issue, Manifest, Report, Stimulus};
use options::{AnalyzeArgs, OnlineArgs};

/// The most probing threads, as the CLI's `--threads` allows.
const MAX_THREADS: usize = 256;

/// The rule options shared by `check` and `pack`, as the CLI's flags of the same names.
// One argument per keyword of the Python functions, as they are.
#[allow(clippy::too_many_arguments)]
fn check_options(
    experiment: Option<&str>,
    reference: String,
    anchors: Vec<String>,
    strict: bool,
    decode: bool,
    threads: Option<usize>,
    analyze: &AnalyzeArgs,
    online: &OnlineArgs,
) -> PyResult<CheckOptions> {
    let experiment = experiment
        .map(|e| e.parse::<ExperimentType>())
        .transpose()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let threads = threads.unwrap_or(0);
    if threads > MAX_THREADS {
        return Err(PyValueError::new_err(format!(
            "threads={threads} is more than the {MAX_THREADS} allowed; use None for one per core"
        )));
    }
    Ok(CheckOptions::default()
        .with_experiment(experiment)
        .with_reference(reference)
        .with_anchors(anchors)
        .with_strict(strict)
        .with_decode(decode)
        .with_threads(threads)
        .with_analyze(analyze.to_options()?)
        .with_online(online.to_online()?))
}

/// The analysis keywords' defaults, shown in the signatures as the CLI shows its flags'.
const LU: f64 = stimpack_core::DEFAULT_LOUDNESS_TOLERANCE_LU;
const DBTP: f64 = stimpack_core::DEFAULT_MAX_TRUE_PEAK_DBTP;
const SILENCE: f64 = stimpack_core::DEFAULT_SILENCE_TOLERANCE_S;
const DC: f64 = stimpack_core::DEFAULT_MAX_DC_OFFSET;

/// Checks a dataset (a folder, a `.zip` or a `.txt` URL list), like `stimpack check`, with
/// the CLI's options under its flags' names (`platform`, `analyze`, `online`, ...).
#[pyfunction]
#[pyo3(signature = (path, *, experiment=None, reference=stimpack_core::DEFAULT_REFERENCE.to_string(), anchors=Vec::new(), strict=false, decode=false, threads=None, platform=None, analyze=false, target_lufs=None, loudness_tolerance=LU, max_true_peak=DBTP, silence_tolerance=SILENCE, max_dc_offset=DC, online=false, origin=None, valid_for=None, max_download=None, min_rate=None, allow_private=false, connections=None, per_host=None), text_signature = "(path, *, experiment=None, reference='reference', anchors=(), strict=False, decode=False, threads=None, platform=None, analyze=False, target_lufs=None, loudness_tolerance=1.0, max_true_peak=-1.0, silence_tolerance=0.1, max_dc_offset=0.01, online=False, origin=None, valid_for=None, max_download=None, min_rate=None, allow_private=False, connections=None, per_host=None)")]
#[allow(clippy::too_many_arguments)]
fn check(
    py: Python<'_>,
    path: PathBuf,
    experiment: Option<&str>,
    reference: String,
    anchors: Vec<String>,
    strict: bool,
    decode: bool,
    threads: Option<usize>,
    platform: Option<&str>,
    analyze: bool,
    target_lufs: Option<f64>,
    loudness_tolerance: f64,
    max_true_peak: f64,
    silence_tolerance: f64,
    max_dc_offset: f64,
    online: bool,
    origin: Option<String>,
    valid_for: Option<Duration>,
    max_download: Option<u64>,
    min_rate: Option<u64>,
    allow_private: bool,
    connections: Option<usize>,
    per_host: Option<usize>,
) -> PyResult<Report> {
    let platform = options::platform(platform)?;
    let analyze = AnalyzeArgs {
        analyze,
        target_lufs,
        loudness_tolerance,
        max_true_peak,
        silence_tolerance,
        max_dc_offset,
    };
    let online = OnlineArgs {
        online,
        origin,
        valid_for,
        max_download,
        min_rate,
        allow_private,
        connections,
        per_host,
    };
    let opts = check_options(
        experiment, reference, anchors, strict, decode, threads, &analyze, &online,
    )?;
    let report = run::interruptible(py, move || {
        stimpack_core::check(&path, &opts.with_platform(platform))
    })?;
    report.map(Report::from).map_err(|e| errors::input_error(&e))
}

/// Checks a dataset and, when it has no errors, writes the archive and its manifest, like
/// `stimpack pack`.
#[pyfunction]
#[pyo3(signature = (path, output, *, manifest=None, force=false, compress=false, experiment=None, reference=stimpack_core::DEFAULT_REFERENCE.to_string(), anchors=Vec::new(), strict=false, decode=false, threads=None, source_date_epoch=None, analyze=false, target_lufs=None, loudness_tolerance=LU, max_true_peak=DBTP, silence_tolerance=SILENCE, max_dc_offset=DC, online=false, origin=None, valid_for=None, max_download=None, min_rate=None, allow_private=false, connections=None, per_host=None), text_signature = "(path, output, *, manifest=None, force=False, compress=False, experiment=None, reference='reference', anchors=(), strict=False, decode=False, threads=None, source_date_epoch=None, analyze=False, target_lufs=None, loudness_tolerance=1.0, max_true_peak=-1.0, silence_tolerance=0.1, max_dc_offset=0.01, online=False, origin=None, valid_for=None, max_download=None, min_rate=None, allow_private=False, connections=None, per_host=None)")]
#[allow(clippy::too_many_arguments)]
fn pack(
    py: Python<'_>,
    path: PathBuf,
    output: PathBuf,
    manifest: Option<PathBuf>,
    force: bool,
    compress: bool,
    experiment: Option<&str>,
    reference: String,
    anchors: Vec<String>,
    strict: bool,
    decode: bool,
    threads: Option<usize>,
    source_date_epoch: Option<i64>,
    analyze: bool,
    target_lufs: Option<f64>,
    loudness_tolerance: f64,
    max_true_peak: f64,
    silence_tolerance: f64,
    max_dc_offset: f64,
    online: bool,
    origin: Option<String>,
    valid_for: Option<Duration>,
    max_download: Option<u64>,
    min_rate: Option<u64>,
    allow_private: bool,
    connections: Option<usize>,
    per_host: Option<usize>,
) -> PyResult<Manifest> {
    let analyze = AnalyzeArgs {
        analyze,
        target_lufs,
        loudness_tolerance,
        max_true_peak,
        silence_tolerance,
        max_dc_offset,
    };
    let online = OnlineArgs {
        online,
        origin,
        valid_for,
        max_download,
        min_rate,
        allow_private,
        connections,
        per_host,
    };
    let check = check_options(
        experiment, reference, anchors, strict, decode, threads, &analyze, &online,
    )?;
    // As the CLI: SOURCE_DATE_EPOCH from the environment unless given.
    let epoch = match source_date_epoch {
        Some(s) => Some(s),
        None => source_date_epoch_from_env()?,
    };
    let opts = PackOptions::new(output)
        .with_manifest(manifest)
        .with_force(force)
        .with_compress(compress)
        .with_source_date_epoch(epoch)
        .with_check(check);
    // Not interruptible: an abandoned pack would still write its archive later. Ctrl-C is
    // raised when it returns.
    let outcome = py.detach(|| stimpack_core::pack(&path, &opts, &NoopReporter));
    match outcome {
        Ok(PackOutcome::Written { manifest, .. }) => Ok(Manifest::from(manifest)),
        Ok(PackOutcome::Refused(report)) => Err(errors::dataset_error(py, report)),
        Err(e) => Err(errors::pack_error(&e)),
    }
}

/// Probes one media file: its readings, with that file's own findings in `issues`.
#[pyfunction]
fn probe(py: Python<'_>, path: PathBuf) -> PyResult<Stimulus> {
    py.detach(|| probe_file(&path))
        .map(Stimulus::from)
        .map_err(|e| errors::input_error(&e))
}

/// Probes many files in parallel; one item per path, in order: a `Stimulus`, or a
/// `ProbeError` for a path that is not a file.
#[pyfunction]
#[pyo3(signature = (paths, threads=None))]
fn probe_many(py: Python<'_>, paths: Vec<PathBuf>, threads: Option<usize>) -> PyResult<Vec<Py<PyAny>>> {
    let threads = match threads {
        Some(0) | None => None,
        Some(n) if n > MAX_THREADS => {
            return Err(PyValueError::new_err(format!(
                "threads={n} is more than the {MAX_THREADS} allowed; use None for one per core"
            )));
        }
        Some(n) => Some(n),
    };
    let pool = match threads {
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| {
                    pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start {n} threads: {e}"))
                })?,
        ),
        None => None,
    };
    let results = run::interruptible(py, move || {
        let work = || {
            paths
                .par_iter()
                .map(|p| (probe_file(p), p))
                .map(|(r, p)| r.map_err(|e| (p.clone(), e)))
                .collect::<Vec<_>>()
        };
        match &pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    })?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(probed) => Ok(Py::new(py, Stimulus::from(probed))?.into_any()),
            Err((path, e)) => errors::probe_error(py, &path, &e),
        })
        .collect()
}

/// The Python module `pystimpack._native`; `pystimpack` re-exports it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(pack, m)?)?;
    m.add_function(wrap_pyfunction!(probe, m)?)?;
    m.add_function(wrap_pyfunction!(probe_many, m)?)?;
    m.add_function(wrap_pyfunction!(results::analyze_ratings, m)?)?;
    m.add_function(wrap_pyfunction!(objects::_from_json, m)?)?;
    m.add_class::<Report>()?;
    m.add_class::<Stimulus>()?;
    m.add_class::<Issue>()?;
    m.add_class::<Manifest>()?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("DatasetError", py.get_type::<DatasetError>())?;
    m.add("PackError", py.get_type::<PackError>())?;
    m.add("ProbeError", py.get_type::<ProbeError>())?;
    Ok(())
}

/// `SOURCE_DATE_EPOCH` from the environment, as the CLI reads it (the library itself never
/// reads the environment): unset or empty is none; anything but an integer is a `ValueError`
/// naming the variable.
fn source_date_epoch_from_env() -> PyResult<Option<i64>> {
    let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    trimmed.parse().map(Some).map_err(|_| {
        PyValueError::new_err(format!(
            "SOURCE_DATE_EPOCH='{text}' is not a Unix time in seconds. Set it to an integer or unset it"
        ))
    })
}
