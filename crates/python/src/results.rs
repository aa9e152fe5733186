//! `analyze_ratings`: the statistics `stimpack results` prints, over rating rows a Python
//! program already holds (the CSV that `stimpack results --csv` writes, a DataFrame's
//! records, its own data). Conversion only: the numbers are `stimpack_core::stats::analyze`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use stimpack_core::Role;
use stimpack_core::stats::{AnalysisOptions, Rating, analyze};

/// One row as a `Rating`; the message names the row (0-based, as DataFrame records count) and
/// the field.
fn rating(row: &Bound<'_, PyAny>, i: usize) -> PyResult<Rating> {
    let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        row.get_item(key)
            .map_err(|_| PyValueError::new_err(format!("rating row {i} has no `{key}`")))
    };
    let text = |key: &str| -> PyResult<String> { Ok(get(key)?.str()?.to_string()) };
    let role = match get("role") {
        Ok(v) => match v.str()?.to_string().as_str() {
            "reference" => Role::Reference,
            "anchor" => Role::Anchor,
            "condition" | "" => Role::Condition,
            other => {
                return Err(PyValueError::new_err(format!(
                    "rating row {i}: role `{other}` is not reference, anchor or condition"
                )));
            }
        },
        // No role column: the reference is the condition named `reference`, as in `check`.
        Err(_) if text("condition")? == stimpack_core::DEFAULT_REFERENCE => Role::Reference,
        Err(_) => Role::Condition,
    };
    // A number, or its text (rows read with `csv.DictReader` hold strings).
    let value = get("score")?;
    let score: f64 =
        match value.extract::<f64>() {
            Ok(x) => x,
            Err(_) => value.str()?.to_string().trim().parse().map_err(|_| {
                PyValueError::new_err(format!("rating row {i}: `score` {value} is not a number"))
            })?,
        };
    if !score.is_finite() {
        return Err(PyValueError::new_err(format!(
            "rating row {i}: `score` is {score}; leave unscored rows out"
        )));
    }
    Ok(Rating {
        rater_id: text("rater_id")?,
        slate_id: text("slate_id")?,
        source: text("source")?,
        condition: text("condition")?,
        role,
        score,
    })
}

/// Per-condition and per-source statistics of subjective ratings, as `stimpack results --json`
/// gives them: `{"experiment", "type", "conditions", "by_source", "excluded_raters",
/// "platform_metrics"}`, each list plain rows for `pandas.DataFrame(...)`.
#[pyfunction]
#[pyo3(signature = (ratings, *, r#type="mushra", experiment="", screening=true, mid_anchors=None))]
pub fn analyze_ratings<'py>(
    py: Python<'py>,
    ratings: &Bound<'py, PyAny>,
    r#type: &str,
    experiment: &str,
    screening: bool,
    mid_anchors: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyDict>> {
    let rows: Vec<Rating> = ratings
        .try_iter()?
        .enumerate()
        .map(|(i, row)| rating(&row?, i))
        .collect::<PyResult<_>>()?;
    let opts = AnalysisOptions::default()
        .with_screening(screening)
        .with_mid_anchors(mid_anchors.unwrap_or_default());
    let (experiment, kind) = (experiment.to_owned(), r#type.to_owned());
    let analysis = py.detach(move || analyze(&experiment, &kind, &rows, &opts));
    let value = pythonize::pythonize(py, &analysis.results)?;
    Ok(value.cast_into::<PyDict>()?)
}
