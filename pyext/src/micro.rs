//! The TFLite Micro front end (`stapes_core::micro`): offline extraction of int16 or float audio, and the streaming
//! front end behind `stapes.compat.micro_features.MicroFrontend`. Configs cross as `MicroConfig` JSON.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use stapes_core::micro::{self, MicroConfig, MicroFrontend, MicroOutput};

use crate::errors::{config_error, core_error};

/// Parses and validates `MicroConfig` JSON; a type or range error names the field.
pub fn parse(json: &str) -> Result<MicroConfig, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(json);
    let config: MicroConfig = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = match e.path().to_string() {
            root if root == "." || root == "?" => String::new(),
            path => path,
        };
        let inner = e.into_inner();
        let message = if field.is_empty() { format!("config JSON: {inner}") } else { format!("{field}: {inner}") };
        (field, message)
    })?;
    de.end().map_err(|e| (String::new(), format!("config JSON: {e}")))?;
    config.validate().map_err(|e| (e.field().to_owned(), e.to_string()))?;
    Ok(config)
}

fn parse_py(py: Python<'_>, json: &str) -> PyResult<MicroConfig> {
    parse(json).map_err(|(field, message)| config_error(py, &field, message))
}

/// The TFLite Micro preset names.
#[pyfunction]
pub fn micro_presets() -> Vec<&'static str> {
    stapes_core::preset::MICRO_NAMES.to_vec()
}

/// The TFLite Micro preset `name` as `MicroConfig` JSON; `None` if there is none.
#[pyfunction]
pub fn micro_preset_json(name: &str) -> Option<String> {
    stapes_core::preset::micro_preset(name).map(|c| c.to_json())
}

/// Validates `MicroConfig` JSON and returns its canonical form; raises `ConfigError` naming the field.
#[pyfunction]
pub fn micro_canonical_json(py: Python<'_>, json: &str) -> PyResult<String> {
    Ok(parse_py(py, json)?.to_json())
}

/// Audio as int16: int16 as it is, float32 by the core's one rule (`stapes_core::pcm`).
fn to_pcm(py: Python<'_>, audio: &Bound<'_, PyAny>) -> PyResult<Vec<i16>> {
    if let Ok(a) = audio.extract::<PyReadonlyArray1<'_, i16>>() {
        return Ok(a.as_array().iter().copied().collect());
    }
    let a = audio.extract::<PyReadonlyArray1<'_, f32>>()?;
    let x = a.as_array();
    let mut out = vec![0i16; x.len()];
    let converted = match x.as_slice() {
        Some(s) => stapes_core::pcm::f32_slice_to_i16(s, &mut out),
        None => {
            let s: Vec<f32> = x.iter().copied().collect();
            stapes_core::pcm::f32_slice_to_i16(&s, &mut out)
        }
    };
    converted.map_err(|index| core_error(py, stapes_core::Error::NonFinite { index }, None))?;
    Ok(out)
}

/// Offline extraction: `(channels, n_frames)` in the config's output form (uint16, float32 or int8).
#[pyfunction]
pub fn micro_extract<'py>(py: Python<'py>, json: &str, audio: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let config = parse_py(py, json)?;
    let pcm = to_pcm(py, audio)?;
    let u = py.detach(|| micro::extract_u16(&config, &pcm)).map_err(|e| config_error(py, e.field(), e.to_string()))?;
    let channels = config.channels as usize;
    let frames = u.len() / channels;
    // Frame-major from the front end; the stapes convention is (n_features, n_frames).
    let shaped = |v: Vec<u16>| Array2::from_shape_vec((frames, channels), v).map(|a| a.reversed_axes());
    let bad = |e: numpy::ndarray::ShapeError| PyValueError::new_err(format!("internal shape error: {e}"));
    Ok(match config.output {
        MicroOutput::U16 => shaped(u).map_err(bad)?.as_standard_layout().to_owned().into_pyarray(py).into_any(),
        MicroOutput::Float => {
            let a = shaped(u).map_err(bad)?;
            a.mapv(micro::to_float).into_pyarray(py).into_any()
        }
        MicroOutput::Int8 => {
            let a = shaped(u).map_err(bad)?;
            a.mapv(micro::to_int8).into_pyarray(py).into_any()
        }
    })
}

/// The streaming front end.
#[pyclass(module = "stapes._native")]
pub struct MicroStream {
    inner: Box<MicroFrontend>,
}

#[pymethods]
impl MicroStream {
    #[new]
    fn new(py: Python<'_>, json: &str) -> PyResult<Self> {
        let config = parse_py(py, json)?;
        let inner = Box::new(MicroFrontend::new(&config).map_err(|e| config_error(py, e.field(), e.to_string()))?);
        Ok(MicroStream { inner })
    }

    /// `FrontendProcessSamples` on little-endian int16 bytes (an odd last byte is ignored): the features
    /// (uint16 values, empty if no frame completed) and how many samples were read.
    fn process_samples(&mut self, audio: &[u8]) -> (Vec<u16>, usize) {
        let pcm: Vec<i16> = audio.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
        let (frame, read) = self.inner.process_samples(&pcm);
        (frame.map(|f| f.to_vec()).unwrap_or_default(), read)
    }

    /// [`process_samples`](Self::process_samples) with the features as pymicro-features gives them: floats,
    /// `u16 × 0.0390625`.
    fn process_samples_float(&mut self, audio: &[u8]) -> (Vec<f64>, usize) {
        let (u, read) = self.process_samples(audio);
        (u.into_iter().map(|v| micro::to_float(v) as f64).collect(), read)
    }

    /// Feeds int16 or float32 samples; returns the frames they complete as uint16 `(n_frames, channels)`.
    fn push<'py>(&mut self, py: Python<'py>, audio: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<u16>>> {
        let pcm = to_pcm(py, audio)?;
        let channels = self.inner.config().channels as usize;
        let inner = &mut self.inner;
        let out = py.detach(|| {
            let mut out = Vec::new();
            inner.push(&pcm, &mut |f| out.extend_from_slice(f));
            out
        });
        let frames = out.len() / channels;
        let a = Array2::from_shape_vec((frames, channels), out)
            .map_err(|e| PyValueError::new_err(format!("internal shape error: {e}")))?;
        Ok(a.into_pyarray(py))
    }

    /// Back to a fresh front end.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The config as JSON.
    #[getter]
    fn config_json(&self) -> String {
        self.inner.config().to_json()
    }

    /// Frames `n` samples give offline.
    fn n_frames(&self, n: usize) -> usize {
        self.inner.config().n_frames(n)
    }
}
