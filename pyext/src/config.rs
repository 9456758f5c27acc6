//! Configs as JSON: presets, parsing with the failing field's path, and the mel filter matrix.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2};
use pyo3::prelude::*;
use stapes_core::Config;
use stapes_core::config::{MAX_SAMPLE_RATE, Mel};

use crate::errors::config_error;

/// Why JSON could not become a valid config: the field at fault (dotted path, `""` for the whole document) and a
/// message that starts with it.
#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub field: String,
    pub message: String,
}

/// Parses and validates a config. Unlike `Config::from_json`, a type or range error in the JSON names the field it
/// is in (`frames.n_fft: invalid value: integer `-1`, expected u32`).
pub fn parse(json: &str) -> Result<Config, ParseError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let config: Config = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = match e.path().to_string() {
            root if root == "." || root == "?" => String::new(),
            path => path,
        };
        let inner = e.into_inner();
        let message = if field.is_empty() { format!("config JSON: {inner}") } else { format!("{field}: {inner}") };
        ParseError { field, message }
    })?;
    de.end().map_err(|e| ParseError { field: String::new(), message: format!("config JSON: {e}") })?;
    config.validate().map_err(|e| ParseError { field: e.field().to_owned(), message: e.to_string() })?;
    Ok(config)
}

/// [`parse`], raising `stapes.ConfigError`.
pub(crate) fn parse_py(py: Python<'_>, json: &str) -> PyResult<Config> {
    parse(json).map_err(|e| config_error(py, &e.field, e.message))
}

/// The preset names, in a stable order.
#[pyfunction]
pub fn presets() -> Vec<&'static str> {
    stapes_core::preset::NAMES.to_vec()
}

/// The preset `name` as config JSON (the dashboard's format); `None` if there is no such preset.
#[pyfunction]
pub fn preset_json(name: &str) -> Option<String> {
    stapes_core::preset(name).map(|c| c.to_json())
}

/// Parses and validates config JSON; returns the canonical JSON (`Config::to_json`, what the dashboard writes).
/// Raises `ConfigError` naming the field.
#[pyfunction]
pub fn canonical_json(py: Python<'_>, json: &str) -> PyResult<String> {
    Ok(parse_py(py, json)?.to_json())
}

/// The config's mel filterbank as a dense float32 `(n_mels, n_fft/2 + 1)` matrix (librosa's `filters.mel` layout).
/// Raises `ConfigError` if the config has no mel bank.
#[pyfunction]
pub fn mel_matrix<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let config = parse_py(py, json)?;
    let mel = config
        .mel
        .ok_or_else(|| config_error(py, "mel", "mel: the config has no mel filterbank (mel is null)".into()))?;
    let n_fft = config.frames.n_fft as usize;
    let dense = py.detach(|| stapes_core::mel::matrix(&mel, config.sample_rate, n_fft));
    let shape = (mel.n_mels as usize, n_fft / 2 + 1);
    let array = Array2::from_shape_vec(shape, dense).expect("matrix() returns n_mels × bins values");
    Ok(array.into_pyarray(py))
}

/// Largest FFT length [`mel_filters`] builds a matrix for (the sparse layout counts bins in `u16`).
pub const MAX_FILTER_FFT: usize = 65_536;
/// Most bands [`mel_filters`] builds.
pub const MAX_FILTER_MELS: u32 = 4096;

/// Parses a mel bank (the `mel` object of a config) and checks it for `sample_rate` and `n_fft` as the core's
/// validation does, without the limits that only a running pipeline has (FFT sizes, 256 bands).
pub fn parse_mel(json: &str, sample_rate: u32, n_fft: usize) -> Result<Mel, ParseError> {
    let fail =
        |field: &str, message: String| ParseError { field: field.to_owned(), message: format!("{field}: {message}") };
    let mut de = serde_json::Deserializer::from_str(json);
    let mel: Mel = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path == "?" { "mel".to_owned() } else { format!("mel.{path}") };
        fail(&field, e.into_inner().to_string())
    })?;
    if sample_rate == 0 || sample_rate > MAX_SAMPLE_RATE {
        return Err(fail("sample_rate", format!("{sample_rate} Hz is not in 1..={MAX_SAMPLE_RATE}")));
    }
    if !(2..=MAX_FILTER_FFT).contains(&n_fft) {
        return Err(fail("frames.n_fft", format!("{n_fft} is not in 2..={MAX_FILTER_FFT}")));
    }
    let nyquist = sample_rate as f32 / 2.0;
    if !(mel.fmin.is_finite() && mel.fmax.is_finite()) || mel.fmin < 0.0 || mel.fmin >= mel.fmax {
        let message = format!("need 0 ≤ fmin < fmax, got fmin {} Hz, fmax {} Hz", mel.fmin, mel.fmax);
        return Err(fail("mel.fmin", message));
    }
    if mel.fmax > nyquist {
        let message = format!("{} Hz is above half the sample rate ({nyquist} Hz)", mel.fmax);
        return Err(fail("mel.fmax", message));
    }
    if mel.n_mels == 0 || mel.n_mels > MAX_FILTER_MELS {
        return Err(fail("mel.n_mels", format!("{} bands, but 1..={MAX_FILTER_MELS} are possible", mel.n_mels)));
    }
    Ok(mel)
}

/// A mel filterbank (the JSON `mel` object of a config) as a dense float32 `(n_mels, n_fft/2 + 1)` matrix, for any
/// `n_fft` from 2 to 65536 (librosa's `filters.mel`). Raises `ConfigError` naming the field.
#[pyfunction]
pub fn mel_filters<'py>(
    py: Python<'py>,
    mel_json: &str,
    sample_rate: u32,
    n_fft: usize,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let mel = parse_mel(mel_json, sample_rate, n_fft).map_err(|e| config_error(py, &e.field, e.message))?;
    let dense = py.detach(|| stapes_core::mel::matrix(&mel, sample_rate, n_fft));
    let shape = (mel.n_mels as usize, n_fft / 2 + 1);
    let array = Array2::from_shape_vec(shape, dense).expect("matrix() returns n_mels × bins values");
    Ok(array.into_pyarray(py))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whisper_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value =
            serde_json::from_str(&stapes_core::preset("whisper-80").unwrap().to_json()).unwrap();
        edit(&mut v);
        v.to_string()
    }

    #[test]
    fn presets_round_trip_byte_for_byte() {
        for name in stapes_core::preset::NAMES {
            let json = stapes_core::preset(name).unwrap().to_json();
            assert_eq!(parse(&json).unwrap().to_json(), json, "{name}");
        }
    }

    #[test]
    fn type_and_range_errors_name_the_field() {
        let err = parse(&whisper_with(|v| v["frames"]["n_fft"] = (-1).into())).unwrap_err();
        assert_eq!(err.field, "frames.n_fft");
        assert!(err.message.starts_with("frames.n_fft: "), "{}", err.message);
        let err = parse(&whisper_with(|v| v["frames"]["n_fft"] = 1_000_000_000.into())).unwrap_err();
        assert_eq!(err.field, "frames.n_fft");
        let err = parse(&whisper_with(|v| v["mel"]["n_mels"] = 1000.into())).unwrap_err();
        assert_eq!(err.field, "mel.n_mels");
        let err = parse(&whisper_with(|v| v["bogus"] = 1.into())).unwrap_err();
        assert!(err.message.contains("bogus"), "{}", err.message);
        let err = parse("{").unwrap_err();
        assert_eq!(err.field, "");
        let err = parse(&(whisper_with(|_| {}) + " x")).unwrap_err();
        assert!(err.message.contains("trailing"), "{}", err.message);
    }

    #[test]
    fn mel_filters_take_any_fft_length_and_name_bad_fields() {
        let mel = serde_json::to_string(&stapes_core::preset("librosa-mel").unwrap().mel.unwrap()).unwrap();
        assert!(parse_mel(&mel, 22050, 2047).is_ok());
        assert_eq!(parse_mel(&mel, 22050, 1).unwrap_err().field, "frames.n_fft");
        assert_eq!(parse_mel(&mel, 16000, 2048).unwrap_err().field, "mel.fmax");
        let bad = mel.replace("\"n_mels\":128", "\"n_mels\":-3");
        assert_eq!(parse_mel(&bad, 22050, 2048).unwrap_err().field, "mel.n_mels");
    }
}
