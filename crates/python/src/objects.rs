//! The library's results as Python objects: `Report`, `Stimulus`, `Issue` and `Manifest`.
//!
//! Each holds the library's value; attributes and `to_dict()` go through its `Serialize`, so
//! they give exactly the JSON contract of `check --json` and the manifest, field names and
//! strings included. Pickling goes through the same JSON.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pythonize::pythonize;
use serde::Serialize;

/// `value` as the Python object its JSON would parse into (dicts keep the field order).
fn to_py<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize(py, value)?)
}

fn json_text<T: Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn from_json_text<T: serde::de::DeserializeOwned>(kind: &str, text: &str) -> PyResult<T> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("not a pickled {kind}: {e}")))
}

/// What `__reduce__` returns: the module's `_from_json` and its arguments.
fn reduce<'py>(
    py: Python<'py>,
    kind: &'static str,
    json: String,
) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
    let rebuild = py.import("pystimpack._native")?.getattr("_from_json")?;
    Ok((rebuild, (kind, json)))
}

/// Rebuilds a pickled `Report`, `Stimulus`, `Issue` or `Manifest` (used by `__reduce__`).
#[pyfunction]
pub fn _from_json(py: Python<'_>, kind: &str, json: &str) -> PyResult<Py<PyAny>> {
    Ok(match kind {
        "Report" => Py::new(
            py,
            Report::from(from_json_text::<stimpack_core::Report>(kind, json)?),
        )?
        .into_any(),
        "Stimulus" => {
            let (inner, issues) = from_json_text(kind, json)?;
            Py::new(py, Stimulus { inner, issues })?.into_any()
        }
        "Issue" => Py::new(
            py,
            Issue::from(from_json_text::<stimpack_core::Issue>(kind, json)?),
        )?
        .into_any(),
        "Manifest" => Py::new(
            py,
            Manifest::from(from_json_text::<stimpack_core::Manifest>(kind, json)?),
        )?
        .into_any(),
        _ => return Err(PyValueError::new_err(format!("{kind}: not a pystimpack type"))),
    })
}

/// The result of checking one input: what `stimpack check --json` prints.
#[pyclass(frozen, eq, module = "pystimpack")]
#[derive(Clone, PartialEq)]
pub struct Report {
    inner: stimpack_core::Report,
}

impl From<stimpack_core::Report> for Report {
    fn from(inner: stimpack_core::Report) -> Self {
        Report { inner }
    }
}

#[pymethods]
impl Report {
    /// The input as given.
    #[getter]
    fn input(&self) -> &str {
        &self.inner.input
    }

    /// `"folder"`, `"zip"` or `"url_list"`.
    #[getter]
    fn input_kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.input_kind)
    }

    /// True when there are no errors.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok
    }

    /// The counts: groups, stimuli, errors, warnings, duration_s, bytes.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.summary)
    }

    /// The sources as in the JSON: dicts with `id`, `config` and `stimuli`.
    #[getter]
    fn groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.groups)
    }

    /// Every stimulus of every group, in group then path order.
    #[getter]
    fn stimuli(&self) -> Vec<Stimulus> {
        self.inner
            .stimuli()
            .map(|s| Stimulus {
                inner: s.clone(),
                issues: None,
            })
            .collect()
    }

    /// The findings, sorted by path then line.
    #[getter]
    fn issues(&self) -> Vec<Issue> {
        self.inner.issues.iter().cloned().map(Issue::from).collect()
    }

    /// The report as the JSON of `check --json`, parsed: dicts, lists, str, int, float, None.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// The text `stimpack check --json` prints for this report (pretty, with a final newline).
    fn to_json(&self) -> PyResult<String> {
        let mut text =
            serde_json::to_string_pretty(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))?;
        text.push('\n');
        Ok(text)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        reduce(py, "Report", json_text(&self.inner)?)
    }

    fn __repr__(&self) -> String {
        let s = &self.inner.summary;
        format!(
            "<Report {:?} ok={} stimuli={} errors={} warnings={}>",
            self.inner.input,
            if self.inner.ok { "True" } else { "False" },
            s.stimuli,
            s.errors,
            s.warnings
        )
    }
}

/// One stimulus (one file or URL) and what was read from it.
#[pyclass(frozen, eq, module = "pystimpack")]
#[derive(Clone, PartialEq)]
pub struct Stimulus {
    inner: stimpack_core::Stimulus,
    /// The file's own findings when it was probed on its own; `None` in a report, whose
    /// findings are the report's.
    issues: Option<Vec<stimpack_core::Issue>>,
}

impl From<stimpack_core::Probed> for Stimulus {
    fn from(probed: stimpack_core::Probed) -> Self {
        Stimulus {
            inner: probed.stimulus,
            issues: Some(probed.issues),
        }
    }
}

#[pymethods]
impl Stimulus {
    /// Path inside the dataset (`source/condition.ext`), or the path as given for `probe`.
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }

    /// The source (folder) it belongs to.
    #[getter]
    fn group(&self) -> &str {
        &self.inner.group
    }

    /// The file name without its extension.
    #[getter]
    fn condition(&self) -> &str {
        &self.inner.condition
    }

    /// `"reference"`, `"anchor"` or `"condition"`.
    #[getter]
    fn role<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.role)
    }

    /// `"audio"`, `"image"`, `"video"`, `"api_request"`, `"embedded"`, ...
    #[getter]
    fn media<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.media)
    }

    /// The container format read from the bytes: `"wav"`, `"mp3"`, `"png"`, ...
    #[getter]
    fn format<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.format)
    }

    /// The codec, ffprobe-style (`"pcm_s16le"`, `"mp3"`, ...), or None.
    #[getter]
    fn codec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.codec)
    }

    /// File size in bytes (None for URLs).
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.bytes)
    }

    /// Duration in seconds of what the file really holds, or None.
    #[getter]
    fn duration_s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.duration_s)
    }

    /// Audio sample rate in Hz, or None.
    #[getter]
    fn sample_rate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.sample_rate)
    }

    /// Audio channel count, or None.
    #[getter]
    fn channels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.channels)
    }

    /// Picture width in pixels, or None.
    #[getter]
    fn width<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.width)
    }

    /// Picture height in pixels, or None.
    #[getter]
    fn height<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.height)
    }

    /// Nominal video frame rate, or None.
    #[getter]
    fn fps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.fps)
    }

    /// Video only: whether the MP4 is fragmented.
    #[getter]
    fn fragmented<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.fragmented)
    }

    /// Video only: whether it has an audio track.
    #[getter]
    fn has_audio<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.reading.has_audio)
    }

    /// Video: the codec of its first audio track, ffprobe-style (`aac`, `opus`), or None.
    #[getter]
    fn audio_codec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.audio_codec)
    }

    /// Video: the codec profile (`High`, `Main 10`, ...), or None.
    #[getter]
    fn profile<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.profile)
    }

    /// Video: the pixel format, ffprobe-style (`yuv420p`, ...), or None.
    #[getter]
    fn pixel_format<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.pixel_format)
    }

    /// Video: whether its frame durations vary, or None when not read.
    #[getter]
    fn variable_frame_rate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.variable_frame_rate)
    }

    /// Image: the colour type (`rgb`, `palette`, `cmyk`, ...), or None.
    #[getter]
    fn color<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.color)
    }

    /// Image: bits per sample, or None.
    #[getter]
    fn bit_depth<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.bit_depth)
    }

    /// Image: the embedded ICC profile's description, or None.
    #[getter]
    fn icc_profile<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.icc_profile)
    }

    /// Image: the EXIF orientation (1 is upright), or None.
    #[getter]
    fn orientation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.details.orientation)
    }

    /// `analyze=True`: integrated loudness (BS.1770-4, LUFS), or None.
    #[getter]
    fn loudness_lufs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.loudness_lufs)
    }

    /// `analyze=True`: highest true peak (dBTP), or None.
    #[getter]
    fn true_peak_dbtp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.true_peak_dbtp)
    }

    /// `analyze=True`: highest sample magnitude (dBFS), or None.
    #[getter]
    fn sample_peak_dbfs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.sample_peak_dbfs)
    }

    /// `analyze=True`: samples in runs of 3 or more at full scale, or None.
    #[getter]
    fn clipped_samples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.clipped_samples)
    }

    /// `analyze=True`: seconds before the first sample above -60 dBFS, or None.
    #[getter]
    fn leading_silence_s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.leading_silence_s)
    }

    /// `analyze=True`: seconds after the last sample above -60 dBFS, or None.
    #[getter]
    fn trailing_silence_s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.trailing_silence_s)
    }

    /// `analyze=True`: the largest channel mean, as a share of full scale, or None.
    #[getter]
    fn dc_offset<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.dc_offset)
    }

    /// `analyze=True`: whether every channel equals the first (mono stored as stereo), or None.
    #[getter]
    fn dual_mono<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.levels.dual_mono)
    }

    /// The URL, for URL lists.
    #[getter]
    fn url(&self) -> Option<&str> {
        self.inner.url.as_deref()
    }

    /// From `probe`/`probe_many`: the file's own findings. None for a report's stimuli (the
    /// report's `issues` name them).
    #[getter]
    fn issues(&self) -> Option<Vec<Issue>> {
        self.issues
            .as_ref()
            .map(|v| v.iter().cloned().map(Issue::from).collect())
    }

    /// From `probe`/`probe_many`: True when none of its findings is an error. None for a
    /// report's stimuli.
    #[getter]
    fn ok(&self) -> Option<bool> {
        self.issues
            .as_ref()
            .map(|v| v.iter().all(|i| i.severity != stimpack_core::Severity::Error))
    }

    /// The stimulus record of the JSON report, parsed.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        reduce(py, "Stimulus", json_text(&(&self.inner, &self.issues))?)
    }

    fn __repr__(&self) -> String {
        let r = &self.inner.reading;
        let opt = |v: Option<String>| v.unwrap_or_else(|| "None".into());
        format!(
            "<Stimulus {:?} duration_s={} sample_rate={} channels={}>",
            self.inner.path,
            opt(r.duration_s.map(|d| format!("{d:?}"))),
            opt(r.sample_rate.map(|d| d.to_string())),
            opt(r.channels.map(|d| d.to_string())),
        )
    }
}

/// A finding: an error or warning, its code, where, and what to do.
#[pyclass(frozen, eq, module = "pystimpack")]
#[derive(Clone, PartialEq)]
pub struct Issue {
    inner: stimpack_core::Issue,
}

impl From<stimpack_core::Issue> for Issue {
    fn from(inner: stimpack_core::Issue) -> Self {
        Issue { inner }
    }
}

#[pymethods]
impl Issue {
    /// `"error"` or `"warning"`.
    #[getter]
    fn severity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.severity)
    }

    /// The stable code, such as `"truncated"` (the README's findings table).
    #[getter]
    fn code<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.code)
    }

    /// The file or folder it is about, relative to the input, or None.
    #[getter]
    fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// 1-based line, for URL lists.
    #[getter]
    fn line(&self) -> Option<u64> {
        self.inner.line
    }

    /// What is wrong and what to do about it.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// Every path, for one finding that stands for several; otherwise empty.
    #[getter]
    fn paths(&self) -> Vec<String> {
        self.inner.paths.clone()
    }

    /// The finding record of the JSON report, parsed.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        reduce(py, "Issue", json_text(&self.inner)?)
    }

    /// As the CLI prints it: `speech_1/low.wav: warning[duration-mismatch] ...`.
    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("<Issue {:?}>", self.inner.to_string())
    }
}

/// What `pack` wrote: the manifest beside the archive.
#[pyclass(frozen, eq, module = "pystimpack")]
#[derive(Clone, PartialEq)]
pub struct Manifest {
    inner: stimpack_core::Manifest,
}

impl From<stimpack_core::Manifest> for Manifest {
    fn from(inner: stimpack_core::Manifest) -> Self {
        Manifest { inner }
    }
}

#[pymethods]
impl Manifest {
    /// The manifest layout's version.
    #[getter]
    fn schema_version(&self) -> u32 {
        self.inner.schema_version
    }

    /// The writer, `stimpack x.y.z`.
    #[getter]
    fn tool(&self) -> &str {
        &self.inner.tool
    }

    /// `SOURCE_DATE_EPOCH` as RFC 3339, or None.
    #[getter]
    fn created(&self) -> Option<&str> {
        self.inner.created.as_deref()
    }

    /// `"folder"`, `"zip"` or `"url_list"`.
    #[getter]
    fn input_kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.input_kind)
    }

    /// The archive: `file`, `bytes`, `sha256`.
    #[getter]
    fn archive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.archive)
    }

    /// The counts, as in the report.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.summary)
    }

    /// The sources as in the JSON, each stimulus with its `sha256`.
    #[getter]
    fn groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.groups)
    }

    /// Packed files that are not stimuli: `path`, `bytes`, `sha256`.
    #[getter]
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.files)
    }

    /// Every stimulus, in group then path order (their checksums are in `sha256`).
    #[getter]
    fn stimuli(&self) -> Vec<Stimulus> {
        self.inner
            .stimuli()
            .map(|s| Stimulus {
                inner: s.stimulus.clone(),
                issues: None,
            })
            .collect()
    }

    /// Each stimulus's path to the SHA-256 of its packed bytes (None for URL lists).
    #[getter]
    fn sha256(&self) -> std::collections::BTreeMap<String, Option<String>> {
        self.inner
            .stimuli()
            .map(|s| (s.stimulus.path.clone(), s.sha256.clone()))
            .collect()
    }

    /// The warnings accepted when packing.
    #[getter]
    fn issues(&self) -> Vec<Issue> {
        self.inner.issues.iter().cloned().map(Issue::from).collect()
    }

    /// The manifest's JSON, parsed.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// The manifest file's text, as `pack` writes it.
    fn to_json(&self) -> String {
        String::from_utf8_lossy(&self.inner.to_json()).into_owned()
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        reduce(py, "Manifest", json_text(&self.inner)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Manifest {:?} stimuli={} sha256={}>",
            self.inner.archive.file, self.inner.summary.stimuli, self.inner.archive.sha256
        )
    }
}
