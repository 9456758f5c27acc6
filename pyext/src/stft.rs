//! Complex STFT (librosa's `stft`): the core's framing and window, complex64 `(bins, frames)` out.

use numpy::ndarray::{Array2, Array3};
use numpy::{Complex32, IntoPyArray, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use rayon::prelude::*;
use stapes_core::{Error, Extractor};

use crate::config::parse_py;
use crate::errors::core_error;
use crate::threads;

/// Writes the spectra of `signal` into `out` (`bins × frames`, row-major).
pub fn stft_into(stft: &Extractor, signal: &[f32], out: &mut [Complex32]) -> Result<(), Error> {
    let s = stft.stft(signal)?;
    for t in 0..s.n_frames {
        let (re, im) = (&s.re[t * s.n_bins..][..s.n_bins], &s.im[t * s.n_bins..][..s.n_bins]);
        for (k, (&r, &i)) in re.iter().zip(im).enumerate() {
            out[k * s.n_frames + t] = Complex32::new(r, i);
        }
    }
    Ok(())
}

/// A reusable complex STFT for one config.
#[pyclass(frozen, module = "stapes._native")]
pub struct StftPlan {
    inner: Extractor,
}

#[pymethods]
impl StftPlan {
    /// Validates the config JSON and builds the FFT and window tables.
    #[new]
    fn new(py: Python<'_>, json: &str) -> PyResult<Self> {
        let config = parse_py(py, json)?;
        let inner = Extractor::new(&config).map_err(|e| core_error(py, e, None))?;
        Ok(StftPlan { inner })
    }

    /// Complex64 `(n_fft/2 + 1, n_frames)` spectra of a float32 signal, GIL released.
    fn compute<'py>(
        &self,
        py: Python<'py>,
        audio: PyReadonlyArray1<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<Complex32>>> {
        let signal =
            audio.as_slice().map_err(|_| PyTypeError::new_err("audio must be a C-contiguous float32 array"))?;
        let cfg = self.inner.config();
        let (bins, frames) = (cfg.frames.n_fft as usize / 2 + 1, cfg.n_frames(signal.len()));
        let out = py
            .detach(|| {
                let mut out = vec![Complex32::new(0.0, 0.0); bins * frames];
                stft_into(&self.inner, signal, &mut out).map(|()| out)
            })
            .map_err(|e| core_error(py, e, None))?;
        Ok(Array2::from_shape_vec((bins, frames), out).expect("bins × frames values").into_pyarray(py))
    }

    /// Complex64 `(batch, bins, frames)` spectra of a `(batch, samples)` float32 array, on `threads` threads
    /// (`None`: every core), GIL released.
    #[pyo3(signature = (audio, threads=None))]
    fn compute_batch<'py>(
        &self,
        py: Python<'py>,
        audio: PyReadonlyArray2<'py, f32>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray3<Complex32>>> {
        let [batch, len] = [audio.shape()[0], audio.shape()[1]];
        let samples =
            audio.as_slice().map_err(|_| PyTypeError::new_err("audio must be a C-contiguous float32 array"))?;
        let cfg = self.inner.config();
        let (bins, frames) = (cfg.frames.n_fft as usize / 2 + 1, cfg.n_frames(len));
        let per = bins * frames;
        let out = py
            .detach(|| {
                threads::install(threads, || {
                    let mut out = vec![Complex32::new(0.0, 0.0); batch * per];
                    if per == 0 {
                        return Ok(out);
                    }
                    let results: Vec<Result<(), Error>> = samples
                        .par_chunks(len.max(1))
                        .zip(out.par_chunks_mut(per))
                        .map(|(signal, dst)| stft_into(&self.inner, signal, dst))
                        .collect();
                    match results.into_iter().enumerate().find_map(|(i, r)| r.err().map(|e| (i, e))) {
                        Some(err) => Err(err),
                        None => Ok(out),
                    }
                })
            })
            .map_err(PyValueError::new_err)?
            .map_err(|(i, e)| core_error(py, e, Some(i)))?;
        Ok(Array3::from_shape_vec((batch, bins, frames), out).expect("batch × bins × frames values").into_pyarray(py))
    }
}
