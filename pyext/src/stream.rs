//! Streaming: push chunks of any length, get the frames they complete.

use numpy::{PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use stapes_core::{Error, Pipeline};

use crate::config::parse_py;
use crate::errors::core_error;
use crate::layout::{array2, transpose};

/// Frames collected from one `push` or `flush`, frame-major.
#[derive(Debug, Default)]
pub struct Collected {
    pub n_frames: usize,
    pub features: Vec<f32>,
    pub scalars: Vec<f32>,
}

impl Collected {
    fn sink(&mut self) -> impl FnMut(stapes_core::Frame<'_>) + '_ {
        |frame| {
            self.n_frames += 1;
            self.features.extend_from_slice(frame.features);
            self.scalars.extend_from_slice(frame.scalars);
        }
    }
}

/// Pushes `chunk` into `pipeline`, collecting the frames it completes.
pub fn push(pipeline: &mut Pipeline<Vec<f32>>, chunk: &[f32]) -> Result<Collected, Error> {
    let mut out = Collected::default();
    pipeline.push(chunk, &mut out.sink())?;
    Ok(out)
}

/// Ends the stream, collecting the remaining frames; the pipeline is ready for a new stream.
pub fn flush(pipeline: &mut Pipeline<Vec<f32>>) -> Collected {
    let mut out = Collected::default();
    pipeline.flush(&mut out.sink());
    out
}

/// A streaming pipeline.
#[pyclass(module = "stapes._native")]
pub struct Stream {
    pipeline: Pipeline<Vec<f32>>,
    /// Samples pushed since the stream started.
    samples: u64,
}

type Pair<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<f32>>);

impl Stream {
    fn arrays<'py>(&self, py: Python<'py>, c: Collected) -> Pair<'py> {
        let cfg = self.pipeline.config();
        let (nf, ns) = (cfg.n_features(), cfg.scalars.count());
        (
            array2(py, transpose(&c.features, c.n_frames, nf), nf, c.n_frames),
            array2(py, transpose(&c.scalars, c.n_frames, ns), ns, c.n_frames),
        )
    }
}

#[pymethods]
impl Stream {
    /// Validates the config JSON and builds the pipeline. Raises `ConfigError` (naming the field) or
    /// `NotStreamableError`.
    #[new]
    fn new(py: Python<'_>, json: &str) -> PyResult<Self> {
        let config = parse_py(py, json)?;
        let pipeline = Pipeline::new_owned(&config).map_err(|e| core_error(py, e, None))?;
        Ok(Stream { pipeline, samples: 0 })
    }

    /// Canonical config JSON.
    #[getter]
    fn json(&self) -> String {
        self.pipeline.config().to_json()
    }

    /// Samples pushed since the stream started (0 after `flush` or `reset`).
    #[getter]
    fn samples(&self) -> u64 {
        self.samples
    }

    /// Number of the next frame that will come out.
    #[getter]
    fn next_index(&self) -> u64 {
        self.pipeline.next_index()
    }

    /// Pushes a float32 chunk (any length): `(features (n_features, k), scalars (n_scalars, k))` of the `k` frames
    /// it completes. A chunk with a NaN or infinite sample is refused whole (`NonFiniteError`) and the stream is
    /// left as it was.
    fn process<'py>(&mut self, py: Python<'py>, chunk: PyReadonlyArray1<'py, f32>) -> PyResult<Pair<'py>> {
        let samples =
            chunk.as_slice().map_err(|_| PyTypeError::new_err("chunk must be a C-contiguous float32 array"))?;
        let pipeline = &mut self.pipeline;
        let collected = py.detach(|| push(pipeline, samples)).map_err(|e| core_error(py, e, None))?;
        self.samples += samples.len() as u64;
        Ok(self.arrays(py, collected))
    }

    /// Ends the stream: pads the end as the config says and returns the remaining frames. The extractor is then
    /// ready for a new stream.
    fn flush<'py>(&mut self, py: Python<'py>) -> Pair<'py> {
        let pipeline = &mut self.pipeline;
        let collected = py.detach(|| flush(pipeline));
        self.samples = 0;
        self.arrays(py, collected)
    }

    /// Forgets the stream so far.
    fn reset(&mut self) {
        self.pipeline.reset();
        self.samples = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_stream_equals_offline() {
        let config = stapes_core::preset("kaldi-mfcc").unwrap();
        let x: Vec<f32> = (0..7000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
        let offline = stapes_core::extract(&config, &x).unwrap();
        let mut p = Pipeline::new_owned(&config).unwrap();
        let mut got = Vec::new();
        for chunk in x.chunks(777) {
            got.extend(push(&mut p, chunk).unwrap().features);
        }
        got.extend(flush(&mut p).features);
        assert_eq!(got, offline.data);
        assert!(push(&mut p, &[0.0, f32::NAN]).is_err());
    }
}
