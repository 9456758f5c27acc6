//! `stapes.resample`: the core's resampler (`stapes_core::resample`) on a float32 signal, with the GIL released.

use std::sync::{Arc, Mutex};

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use stapes_core::resample::{ResampleError, ResamplePlan};

use crate::errors::NonFiniteError;

/// `y` (1-D float32, sampled at `orig_sr` Hz) resampled to `target_sr` Hz, as a new array of
/// `ceil(len · target_sr / orig_sr)` samples (the ratio reduced first).
#[pyfunction]
pub fn resample<'py>(
    py: Python<'py>,
    y: PyReadonlyArray1<'py, f32>,
    orig_sr: u32,
    target_sr: u32,
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let run = |x: &[f32]| -> Result<Vec<f32>, ResampleError> {
        let (plan, taps) = planned(orig_sr, target_sr)?;
        stapes_core::resample::resample_with(&plan, &taps, x)
    };
    let out = match y.as_slice() {
        Ok(x) => py.detach(|| run(x)),
        Err(_) => {
            let x = y.as_array().to_vec();
            py.detach(|| run(&x))
        }
    };
    match out {
        Ok(v) => Ok(v.into_pyarray(py)),
        Err(ResampleError::NonFinite { index }) => {
            let err = NonFiniteError::new_err(format!(
                "audio sample {index} is NaN or infinite; stapes refuses non-finite input rather than propagating it \
                 (clean it with numpy.nan_to_num if that is what you want)"
            ));
            let _ = err.value(py).setattr("index", index);
            let _ = err.value(py).setattr("item", py.None());
            Err(err)
        }
        Err(e) => Err(PyValueError::new_err(e.to_string())),
    }
}

/// Tap tables of the ratios used lately, newest last: designing one costs as much as resampling seconds of audio,
/// and a dataset is usually one or two ratios over many files.
static TAPS: Mutex<Vec<(ResamplePlan, Arc<Vec<f32>>)>> = Mutex::new(Vec::new());
const CACHED: usize = 4;

fn planned(from: u32, to: u32) -> Result<(ResamplePlan, Arc<Vec<f32>>), ResampleError> {
    let plan = ResamplePlan::new(from, to)?;
    let lock = || TAPS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, taps)) = lock().iter().find(|(p, _)| *p == plan) {
        return Ok((plan, taps.clone()));
    }
    let mut taps = vec![0.0; plan.taps_len()];
    plan.fill_taps(&mut taps)?;
    let taps = Arc::new(taps);
    let mut cache = lock();
    if !cache.iter().any(|(p, _)| *p == plan) {
        if cache.len() == CACHED {
            cache.remove(0);
        }
        cache.push((plan, taps.clone()));
    }
    Ok((plan, taps))
}
