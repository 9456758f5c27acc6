//! `stapes.compat.librosa.power_to_db` on float32 arrays: the core's decibel step (`stapes_core::db`), the same
//! bits as a fused `log: db` extraction, with the GIL released.

use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use crate::errors::core_error;

/// `10·log10(max(S, amin)) − 10·log10(max(|ref|, amin))`, clamped at `max − top_db`, as a new array of `S`'s
/// shape (C order).
#[pyfunction]
#[pyo3(signature = (s, amin, reference, top_db=None))]
pub fn power_to_db<'py>(
    py: Python<'py>,
    s: PyReadonlyArrayDyn<'py, f32>,
    amin: f32,
    reference: f32,
    top_db: Option<f32>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let mut out = s.as_array().as_standard_layout().into_owned();
    let values = out.as_slice_mut().expect("standard layout is contiguous");
    py.detach(|| stapes_core::db::power_to_db(values, amin, reference, top_db)).map_err(|e| core_error(py, e, None))?;
    Ok(out.into_pyarray(py))
}
