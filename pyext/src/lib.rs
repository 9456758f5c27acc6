//! `stapes._native`: the private extension behind the `stapes` Python package (see `pyext/python/stapes`).
//!
//! Every operation is a pure-Rust function over slices (tested here) with a thin pyo3 wrapper that converts numpy
//! arrays and errors and releases the GIL (`py.detach`) around the DSP. Configs cross the boundary as JSON, the
//! format the dashboard writes to the node. Users call the typed Python façade, not this module.

pub mod config;
pub mod db;
pub mod errors;
pub mod extract;
pub mod lanes;
pub mod layout;
pub mod micro;
pub mod resample;
pub mod stft;
pub mod stream;
pub mod threads;

use pyo3::prelude::*;

/// Private extension of the `stapes` package; use `stapes` instead.
#[pymodule(name = "_native")]
mod native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::config::{canonical_json, mel_filters, mel_matrix, preset_json, presets};
    #[pymodule_export]
    use super::db::power_to_db;
    #[pymodule_export]
    use super::extract::Offline;
    #[pymodule_export]
    use super::lanes::{lane_choice, set_lanes};
    #[pymodule_export]
    use super::micro::{MicroStream, micro_canonical_json, micro_extract, micro_preset_json, micro_presets};
    #[pymodule_export]
    use super::resample::resample;
    #[pymodule_export]
    use super::stft::StftPlan;
    #[pymodule_export]
    use super::stream::Stream;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        super::register(m)
    }
}

fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add("NonFiniteError", py.get_type::<errors::NonFiniteError>())?;
    m.add("NotStreamableError", py.get_type::<errors::NotStreamableError>())?;
    Ok(())
}
