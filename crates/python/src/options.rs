//! The keyword arguments of `check` and `pack` beyond the rules, under the CLI's flag names:
//! `platform` (`--platform`), `analyze` and its thresholds (`--analyze`, `--target-lufs`, ...),
//! and `online` with its settings (`--online`, `--origin`, `--per-host`, ...). Each is checked
//! as the CLI checks it, and a wrong value is a `ValueError` naming the argument.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use stimpack_core::{AnalyzeOptions, Online, Platform};
use stimpack_online::{HttpOpener, OnlineOptions};

/// The platform whose rules apply (`None`: Mabyduck, as the CLI without `--platform`).
pub(crate) fn platform(name: Option<&str>) -> PyResult<Platform> {
    match name {
        None => Ok(Platform::default()),
        Some(name) => name.parse().map_err(|e: stimpack_core::UnknownPlatform| {
            PyValueError::new_err(format!("platform={name:?}: {e}"))
        }),
    }
}

/// `analyze=True` and its thresholds, as `--analyze` and its flags.
pub(crate) struct AnalyzeArgs {
    pub analyze: bool,
    pub target_lufs: Option<f64>,
    pub loudness_tolerance: f64,
    pub max_true_peak: f64,
    pub silence_tolerance: f64,
    pub max_dc_offset: f64,
}

impl AnalyzeArgs {
    pub(crate) fn to_options(&self) -> PyResult<Option<AnalyzeOptions>> {
        let finite = |name: &str, x: f64| {
            if x.is_finite() {
                Ok(x)
            } else {
                Err(PyValueError::new_err(format!("{name}={x} is not a number")))
            }
        };
        let non_negative = |name: &str, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(x)
            } else {
                Err(PyValueError::new_err(format!(
                    "{name}={x} is not a number of 0 or more"
                )))
            }
        };
        let options = AnalyzeOptions {
            loudness_tolerance_lu: non_negative("loudness_tolerance", self.loudness_tolerance)?,
            max_true_peak_dbtp: finite("max_true_peak", self.max_true_peak)?,
            silence_tolerance_s: non_negative("silence_tolerance", self.silence_tolerance)?,
            max_dc_offset: non_negative("max_dc_offset", self.max_dc_offset)?,
            target_lufs: self.target_lufs.map(|t| finite("target_lufs", t)).transpose()?,
        };
        if !self.analyze && self.target_lufs.is_some() {
            return Err(PyValueError::new_err(
                "target_lufs needs analyze=True (as --target-lufs needs --analyze)",
            ));
        }
        Ok(self.analyze.then_some(options))
    }
}

/// `online=True` and its settings, as `--online` and its flags (`None`: the CLI's default).
pub(crate) struct OnlineArgs {
    pub online: bool,
    pub origin: Option<String>,
    pub valid_for: Option<Duration>,
    pub max_download: Option<u64>,
    pub min_rate: Option<u64>,
    pub allow_private: bool,
    pub connections: Option<usize>,
    pub per_host: Option<usize>,
}

impl OnlineArgs {
    pub(crate) fn to_online(&self) -> PyResult<Option<Online>> {
        for (name, given) in [
            ("origin", self.origin.is_some()),
            ("allow_private", self.allow_private),
        ] {
            if given && !self.online {
                return Err(PyValueError::new_err(format!(
                    "{name} needs online=True (as --{} needs --online)",
                    name.replace('_', "-")
                )));
            }
        }
        let count = |name: &str, n: Option<usize>, default: usize| match n {
            None => Ok(default),
            Some(n) if (1..=1024).contains(&n) => Ok(n),
            Some(n) => Err(PyValueError::new_err(format!(
                "{name}={n} is not a count from 1 to 1024"
            ))),
        };
        let positive = |name: &str, n: Option<u64>, default: u64| match n {
            None => Ok(default),
            Some(0) => Err(PyValueError::new_err(format!("{name}=0: it must be more than 0"))),
            Some(n) => Ok(n),
        };
        let defaults = OnlineOptions::default();
        let connections = count(
            "connections",
            self.connections,
            stimpack_core::DEFAULT_ONLINE_CONCURRENCY,
        )?;
        // Every value is checked, as the CLI checks its flags, with online=True or not.
        let options = OnlineOptions {
            origin: Some(
                self.origin
                    .clone()
                    .unwrap_or_else(|| stimpack_online::DEFAULT_ORIGIN.into()),
            ),
            valid_for: self.valid_for.unwrap_or(defaults.valid_for),
            max_download: positive("max_download", self.max_download, defaults.max_download)?,
            min_rate: positive("min_rate", self.min_rate, defaults.min_rate)?,
            per_host: count("per_host", self.per_host, defaults.per_host)?,
            allow_private: self.allow_private,
            ..defaults
        };
        if !self.online {
            return Ok(None);
        }
        let opener = HttpOpener::new(options, connections);
        Ok(Some(
            Online::new(Arc::new(opener))
                .with_concurrency(connections)
                .with_allow_private(self.allow_private),
        ))
    }
}
