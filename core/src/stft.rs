//! Complex short-time Fourier transform (needs `alloc`): the framing, pre-window steps and window of a [`Config`],
//! then the real FFT, keeping the real and imaginary parts (librosa's `stft`, numpy's `rfft` sign convention:
//! `X[k] = Σ x[n]·e^(−2πikn/N)`).
//!
//! Frames are gathered exactly as offline extraction gathers them and run through the same `frame::prepare`
//! eight at a time, so the power spectrum `re² + im²` of a frame is the one the feature pipeline sees. The mel,
//! log, normalisation, MFCC and scalar settings of the config are ignored.

use alloc::vec;
use alloc::vec::Vec;

use crate::config::Config;
use crate::error::Error;
use crate::lane::{Batch, BatchJob, dispatch};
use crate::offline::{Extractor, Layout, Sink, Source};
use crate::stream::geometry;

/// Complex spectra of a whole signal, frame-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectra {
    /// Number of frames.
    pub n_frames: usize,
    /// Bins per frame, `n_fft/2 + 1`.
    pub n_bins: usize,
    /// Real parts, `n_frames × n_bins`, frame after frame.
    pub re: Vec<f32>,
    /// Imaginary parts, same layout.
    pub im: Vec<f32>,
}

impl Extractor {
    /// The complex spectrum of every frame of `signal` (as many frames as [`Config::n_frames`] says). Refuses NaN
    /// or infinite samples (naming the first).
    pub fn stft(&self, signal: &[f32]) -> Result<Spectra, Error> {
        if let Some(index) = crate::stream::first_non_finite(signal) {
            return Err(Error::NonFinite { index });
        }
        let n_frames = geometry(self.config()).frames(signal.len() as u64) as usize;
        let n_bins = self.plan.fft().bins();
        let (mut re, mut im) = (vec![0.0f32; n_frames * n_bins], vec![0.0f32; n_frames * n_bins]);
        let job = StftJob {
            ex: self,
            signal,
            re: Sink::new(&mut re, Layout::FrameMajor, n_frames, n_bins)?,
            im: Sink::new(&mut im, Layout::FrameMajor, n_frames, n_bins)?,
        };
        dispatch(job)?;
        Ok(Spectra { n_frames, n_bins, re, im })
    }
}

/// One signal's spectra, run by [`dispatch`] in the widest lanes the CPU has (the same IEEE operations in any).
struct StftJob<'a> {
    ex: &'a Extractor,
    signal: &'a [f32],
    re: Sink<'a>,
    im: Sink<'a>,
}

impl BatchJob for StftJob<'_> {
    type Output = Result<(), Error>;
    #[cfg_attr(all(target_arch = "x86_64", not(debug_assertions)), inline(always))]
    fn run<B: Batch>(self) -> Self::Output {
        let StftJob { ex, signal, mut re, mut im } = self;
        let plan = &ex.plan;
        let cfg = plan.config();
        let tables = plan.tables(&ex.tables);
        let g = geometry(cfg);
        let bins = plan.fft().bins();
        let mut work_buf = vec![B::default(); plan.work_len()];
        let mut work = plan.work(&mut work_buf);
        let (mut re_lanes, mut im_lanes) = (vec![B::default(); bins], vec![B::default(); bins]);
        let mut lane_frames = vec![0.0f32; B::WIDTH * g.span];
        let n_frames = re.n_frames;
        for t0 in (0..n_frames).step_by(B::WIDTH) {
            let lanes = (n_frames - t0).min(B::WIDTH);
            let source = Source { signal, geometry: &g, scale: cfg.input_scale };
            source.prepare(plan, &tables, t0..t0 + lanes, &mut lane_frames, &mut work, None);
            plan.fft().forward_with(tables.fft, work.fft_in, work.scratch, (&mut re_lanes[..], &mut im_lanes[..]))?;
            re.put(t0, lanes, &re_lanes);
            im.put(t0, lanes, &im_lanes);
        }
        Ok(())
    }
}

/// One-shot convenience: the complex spectra of `signal` under `config`'s framing and window.
pub fn stft(config: &Config, signal: &[f32]) -> Result<Spectra, Error> {
    Extractor::new(config)?.stft(signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Affine, Log, Normalize, Padding, SpectrumKind, WindowKind};
    use crate::framing::padded;
    use crate::preset;

    fn linear(mut config: Config, spectrum: SpectrumKind) -> Config {
        config.mel = None;
        config.mfcc = None;
        config.log = Log::None;
        config.normalize = Normalize::None;
        config.affine = Affine::IDENTITY;
        config.spectrum = spectrum;
        config
    }

    fn signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f32;
                0.5 * libm::sinf(0.031 * t) + 0.25 * libm::sinf(0.47 * t + 1.0) + 0.01 * ((i * 7919 % 97) as f32 - 48.0)
            })
            .collect()
    }

    #[test]
    fn power_equals_the_pipelines_power_spectrum_bit_for_bit() {
        for name in ["librosa-mel", "whisper-80", "kaldi-fbank", "yamnet"] {
            let cfg = preset(name).unwrap();
            let x = signal(5000);
            let spectra = stft(&cfg, &x).unwrap();
            let power = crate::extract(&linear(cfg.clone(), SpectrumKind::Power), &x).unwrap();
            assert_eq!((spectra.n_frames, spectra.n_bins), (power.n_frames, power.n_features), "{name}");
            for (k, p) in power.data.iter().enumerate() {
                let (r, i) = (spectra.re[k], spectra.im[k]);
                assert_eq!((r * r + i * i).to_bits(), p.to_bits(), "{name}: value {k}");
            }
        }
    }

    #[test]
    fn matches_a_direct_dft_with_numpys_sign_convention() {
        let mut cfg = linear(preset("librosa-mel").unwrap(), SpectrumKind::Power);
        cfg.frames.n_fft = 64;
        cfg.frames.win_length = 48;
        cfg.frames.hop_length = 16;
        cfg.frames.padding = Padding::Reflect;
        cfg.window.kind = WindowKind::Hamming;
        let x = signal(300);
        let s = stft(&cfg, &x).unwrap();
        assert_eq!(s.n_frames, 1 + 300 / 16);
        let n = 64usize;
        let mut window = [0.0f64; 48];
        for (i, w) in window.iter_mut().enumerate() {
            *w = 0.54 - 0.46 * (2.0 * core::f64::consts::PI * i as f64 / 48.0).cos();
        }
        let mut worst = 0.0f64;
        for t in 0..s.n_frames {
            // The frame's n_fft samples of the reflect-padded signal, window centred in them.
            let frame: Vec<f64> = (0..n)
                .map(|j| {
                    let w = if (8..56).contains(&j) { window[j - 8] } else { 0.0 };
                    w * padded(&x, 32, Padding::Reflect, t * 16 + j) as f64
                })
                .collect();
            for k in 0..=n / 2 {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (j, v) in frame.iter().enumerate() {
                    let a = -2.0 * core::f64::consts::PI * (k * j) as f64 / n as f64;
                    re += v * a.cos();
                    im += v * a.sin();
                }
                let at = t * s.n_bins + k;
                worst = worst.max((s.re[at] as f64 - re).abs()).max((s.im[at] as f64 - im).abs());
            }
        }
        assert!(worst < 2e-5, "worst {worst}");
    }

    #[test]
    fn refuses_non_finite_and_handles_short_and_empty_signals() {
        let cfg = preset("librosa-mel").unwrap();
        assert_eq!(stft(&cfg, &[0.0, f32::NAN]).unwrap_err(), Error::NonFinite { index: 1 });
        assert_eq!(stft(&cfg, &[]).unwrap().n_frames, 0);
        let short = stft(&cfg, &[0.5; 10]).unwrap();
        assert_eq!((short.n_frames, short.re.len()), (1, 1025));
    }
}
