//! Which lane type the core runs offline extraction in (`stapes_core::lane::choice`): the report behind
//! `stapes.info()` and the pin behind `stapes.set_lanes()`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use stapes_core::lane::choice::{self, LaneChoice};

/// `(lanes, how, [(lane type, ns per frame)], measurement ms, note, available lane types)`.
pub type Report = (&'static str, &'static str, Vec<(&'static str, f64)>, f64, Option<String>, Vec<&'static str>);

fn report(c: LaneChoice) -> Report {
    let timings = c.timings.iter().map(|t| (t.lanes, t.ns_per_frame)).collect();
    (c.lanes, c.how.name(), timings, c.measured_in.as_secs_f64() * 1e3, c.note, choice::available())
}

/// The process's lane choice, measuring first if nothing chose yet (with the GIL released).
#[pyfunction]
pub fn lane_choice(py: Python<'_>) -> Report {
    report(py.detach(choice::lane_choice))
}

/// Pins the lane type (`None`: forget the choice and measure again).
#[pyfunction]
#[pyo3(signature = (name=None))]
pub fn set_lanes(py: Python<'_>, name: Option<&str>) -> PyResult<Report> {
    let chosen = py.detach(|| choice::pin(name));
    chosen.map(report).map_err(|e| PyValueError::new_err(e.to_string()))
}
