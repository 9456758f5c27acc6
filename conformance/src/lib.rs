//! Cross-target conformance: every preset on the same generated signals must hash the same on every target.
//!
//! Each preset is computed offline (the batch path, eight frames per [`F32x8`](stapes_core::F32x8)) and, where it
//! can stream, through the streaming [`Pipeline`] in uneven chunks (the one-frame `f32` path the node runs). The
//! hashes cover every output bit, features and scalars.
#![no_std]

extern crate alloc;

use stapes_core::config::{Padding, Scalars};
use stapes_core::{Config, Pipeline, extract, preset};

/// 64-bit FNV-1a over f32 bit patterns.
struct Hash(u64);

impl Hash {
    fn new() -> Self {
        Hash(0xcbf2_9ce4_8422_2325)
    }

    fn add_u16(&mut self, values: &[u16]) {
        for v in values {
            for b in v.to_le_bytes() {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }

    fn add(&mut self, values: &[f32]) {
        for v in values {
            for b in v.to_bits().to_le_bytes() {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
}

/// A deterministic test signal of `n` samples at `sr`: a chirp, two tones, a noise burst and silence, with a
/// few samples of every magnitude (including subnormal-range and exact zeros) so every code path is taken.
pub fn signal(n: usize, sr: u32) -> alloc::vec::Vec<f32> {
    let mut state = 0x1234_5678u32;
    let sr = sr as f32;
    (0..n)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / 16_777_216.0 - 0.5;
            let t = i as f32 / sr;
            let chirp = libm::sinf(core::f32::consts::TAU * (100.0 + 1500.0 * t) * t);
            let tones = 0.3 * libm::sinf(core::f32::consts::TAU * 440.0 * t)
                + 0.2 * libm::sinf(core::f32::consts::TAU * 3100.0 * t);
            let section = (i * 8) / n.max(1);
            match section {
                0 => 0.0,
                1 => 1e-30 * noise,
                2 | 3 => 0.5 * chirp,
                4 => tones,
                5 => 0.8 * noise,
                _ => 0.4 * chirp + tones * 0.5 + 0.05 * noise,
            }
        })
        .collect()
}

/// Every preset with all scalars switched on (scalars never change the features), and the framings that are
/// options rather than presets: Kaldi's unsnipped edges (`snip_edges=false`).
fn configs() -> impl Iterator<Item = (&'static str, Config)> {
    let unsnipped = {
        let mut c = preset("kaldi-fbank").expect("kaldi-fbank is a preset");
        c.frames.padding = Padding::Kaldi;
        ("kaldi-fbank/unsnipped", c)
    };
    stapes_core::preset::NAMES
        .into_iter()
        .map(|name| (name, preset(name).expect("preset names are presets")))
        .chain(core::iter::once(unsnipped))
        .map(|(name, mut c)| {
            c.scalars = Scalars::ALL;
            (name, c)
        })
}

/// Calls `report(name, hash)` for each preset offline, and for each preset's streamable form (normalisation
/// switched off) as `name/stream`; then for each resampling in [`RESAMPLINGS`] as `resample/FROM-TO`, offline, and
/// streamed in uneven chunks as `resample/FROM-TO/stream`.
pub fn run(report: &mut dyn FnMut(&str, u64)) {
    for (name, config) in configs() {
        // 1.3 s: several batches of eight frames plus a ragged tail at every preset's hop.
        let x = signal(config.sample_rate as usize * 13 / 10, config.sample_rate);
        let f = extract(&config, &x).expect("presets are valid and the signal is finite");
        let mut h = Hash::new();
        h.add(&f.data);
        h.add(&f.scalars);
        report(name, h.0);

        let mut p = Pipeline::new_owned(&config.streamable()).expect("normalize none streams");
        let mut h = Hash::new();
        let mut emit = |fr: stapes_core::Frame<'_>| {
            h.add(fr.features);
            h.add(fr.scalars);
        };
        let mut rest = &x[..];
        let mut step = 1usize;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(step.min(rest.len()));
            p.push(chunk, &mut emit).expect("finite chunk");
            rest = tail;
            step = (step * 7 + 3) % 1021 + 1;
        }
        p.flush(&mut emit);
        let mut tag = [0u8; 32];
        report(join(&mut tag, name, "/stream"), h.0);
    }
    run_resamplings(report);
    run_micro(report);
}

/// The resamplings hashed: the common file rates to the presets' 16 kHz (a 160/441 ratio, an integer decimation and
/// an integer interpolation), and 16 kHz up to 44.1 kHz.
pub const RESAMPLINGS: [(&str, u32, u32); 4] = [
    ("resample/44100-16000", 44_100, 16_000),
    ("resample/48000-16000", 48_000, 16_000),
    ("resample/8000-16000", 8_000, 16_000),
    ("resample/16000-44100", 16_000, 44_100),
];

fn run_resamplings(report: &mut dyn FnMut(&str, u64)) {
    use stapes_core::resample::{ResamplePlan, Resampler, resample};
    for (name, from, to) in RESAMPLINGS {
        let x = signal(from as usize * 13 / 10, from);
        let y = resample(&x, from, to).expect("rates in range, signal finite");
        let mut h = Hash::new();
        h.add(&y);
        report(name, h.0);

        let plan = ResamplePlan::new(from, to).expect("rates in range");
        let mut stream = Resampler::new_owned(plan);
        let mut out = alloc::vec![0.0f32; y.len()];
        let (mut n, mut rest, mut step) = (0, &x[..], 1usize);
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(step.min(rest.len()));
            n += stream.push(chunk, &mut out[n..]).expect("finite chunk, output sized for the whole signal");
            rest = tail;
            step = (step * 7 + 3) % 1021 + 1;
        }
        n += stream.flush(&mut out[n..]).expect("output sized for the whole signal");
        let mut h = Hash::new();
        h.add(&out[..n]);
        let mut tag = [0u8; 32];
        report(join(&mut tag, name, "/stream"), h.0);
    }
}

/// The TFLite Micro presets (integer pipelines, `u16` out): offline, and streamed in the same uneven chunks; the
/// signal goes through the core's one float → int16 rule first.
fn run_micro(report: &mut dyn FnMut(&str, u64)) {
    for name in stapes_core::preset::MICRO_NAMES {
        let config = stapes_core::preset::micro_preset(name).expect("micro preset names are micro presets");
        let x = signal(config.sample_rate as usize * 13 / 10, config.sample_rate);
        let mut pcm = alloc::vec![0i16; x.len()];
        stapes_core::pcm::f32_slice_to_i16(&x, &mut pcm).expect("the signal is finite");
        let f = stapes_core::micro::extract_u16(&config, &pcm).expect("presets are valid");
        let mut h = Hash::new();
        h.add_u16(&f);
        report(name, h.0);

        let mut fe = alloc::boxed::Box::new(stapes_core::micro::MicroFrontend::new(&config).expect("valid"));
        let mut h = Hash::new();
        let mut rest = &pcm[..];
        let mut step = 1usize;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(step.min(rest.len()));
            fe.push(chunk, &mut |frame| h.add_u16(frame));
            rest = tail;
            step = (step * 7 + 3) % 1021 + 1;
        }
        let mut tag = [0u8; 32];
        report(join(&mut tag, name, "/stream"), h.0);
    }
}

fn join<'a>(buf: &'a mut [u8; 32], a: &str, b: &str) -> &'a str {
    let n = a.len() + b.len();
    buf[..a.len()].copy_from_slice(a.as_bytes());
    buf[a.len()..n].copy_from_slice(b.as_bytes());
    core::str::from_utf8(&buf[..n]).unwrap_or("?")
}

/// f32 storage of the `yamnet` streaming pipeline the Cortex-M33 benchmark runs (checked by a test to be enough).
pub const YAMNET_STORAGE: usize = 3968;

/// The streaming `yamnet` pipeline in fixed storage, with its first frame already out, ready for
/// [`yamnet_frame`].
pub fn yamnet_pipeline() -> Pipeline<[f32; YAMNET_STORAGE]> {
    let config = preset("yamnet").expect("yamnet is a preset");
    let mut p = Pipeline::new(&config, [0.0; YAMNET_STORAGE]).expect("storage is large enough");
    let x = signal(400, 16_000);
    p.push(&x, &mut |_| {}).expect("finite");
    p
}

/// One streaming `yamnet` frame (512-point FFT, 64 mels, log): pushes one hop (160 samples), which completes
/// exactly one frame. This is the body the Cortex-M33 instruction count measures. Returns a value derived from
/// the output so nothing is optimised away.
#[inline(never)]
pub fn yamnet_frame(p: &mut Pipeline<[f32; YAMNET_STORAGE]>, hop: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    let _ = p.push(hop, &mut |f| acc = f.features[0] + f.features[63]);
    acc
}
