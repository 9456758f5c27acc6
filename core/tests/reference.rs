//! Every preset against the library it promises to match, on speech-like and music-like signals. The golden files
//! come from the real packages (`tools/golden/make_golden.py`, see `tests/golden/README.md`).
//!
//! Log-domain outputs are compared on bins within 60 dB (power) of their frame's maximum: below that, float32
//! rounding of any implementation dominates. MFCC tolerances scale with the frame's coefficients (5e-4 per 100
//! of the largest, times the lifter's gain).

mod common;

use common::npy::{golden, golden_sparse_dense};
use stapes_core::config::{Lifter, Mel, Padding, Scalars};
use stapes_core::{Config, extract, preset};

/// `(rows, frames)` features of `config` on golden signal `signal`, transposed to the references' layout.
fn ours(config: &Config, signal: &str) -> (usize, usize, Vec<f32>) {
    let (_, x) = golden(signal);
    let f = extract(config, &x).unwrap();
    let mut t = vec![0.0; f.data.len()];
    for frame in 0..f.n_frames {
        for k in 0..f.n_features {
            t[k * f.n_frames + frame] = f.data[frame * f.n_features + k];
        }
    }
    (f.n_features, f.n_frames, t)
}

/// Largest error over cells whose reference value is within `range` (in output units) of its frame's maximum.
fn masked_error(got: &[f32], want: &[f32], rows: usize, frames: usize, range: f32) -> f32 {
    let mut worst = 0.0f32;
    for t in 0..frames {
        let top = (0..rows).map(|k| want[k * frames + t]).fold(f32::NEG_INFINITY, f32::max);
        for k in 0..rows {
            let (g, w) = (got[k * frames + t], want[k * frames + t]);
            if w >= top - range {
                worst = worst.max((g - w).abs());
            }
        }
    }
    worst
}

/// The golden files `{prefix}_{signal}` that exist, with their signal's name.
fn goldens(prefix: &str) -> impl Iterator<Item = (String, String)> + '_ {
    ["speech16", "music16", "speech22", "music22"].into_iter().filter_map(move |signal| {
        let name = format!("{prefix}_{signal}");
        let path = format!("{}/tests/golden/{name}.npy", env!("CARGO_MANIFEST_DIR"));
        std::path::Path::new(&path).exists().then(|| (name, format!("sig_{signal}")))
    })
}

fn check_log(preset_name: &str, golden_prefix: &str, range: f32, tol: f32) {
    let config = preset(preset_name).unwrap();
    for (name, signal) in goldens(golden_prefix) {
        let (shape, want) = golden(&name);
        let (rows, frames, got) = ours(&config, &signal);
        assert_eq!([rows, frames], [shape[0], shape[1]], "{name}: shape");
        let err = masked_error(&got, &want, rows, frames, range);
        println!("{preset_name} on {signal}: max |error| {err:.3e} (tolerance {tol:.0e})");
        assert!(err <= tol, "{name}: max error {err} > {tol}");
    }
}

/// The factor coefficient `k` is multiplied by, written out independently of the core's table.
fn lifter_gain(lifter: Lifter, k: usize) -> f32 {
    let pi = std::f64::consts::PI;
    (match lifter {
        Lifter::None => 1.0,
        Lifter::Librosa(l) => 1.0 + l as f64 / 2.0 * (pi * (k + 1) as f64 / l as f64).sin(),
        Lifter::Kaldi(q) => 1.0 + q as f64 / 2.0 * (pi * k as f64 / q as f64).sin(),
    })
    .abs() as f32
}

fn check_mfcc(preset_name: &str, golden_prefix: &str, config: Config) {
    let lifter = config.mfcc.unwrap().lifter;
    for (name, signal) in goldens(golden_prefix) {
        let (shape, want) = golden(&name);
        let (rows, frames, got) = ours(&config, &signal);
        assert_eq!([rows, frames], [shape[0], shape[1]], "{name}: shape");
        // A DCT mixes every band, so each coefficient's error follows the frame's magnitude, not its own; a lifter
        // then multiplies value and error alike.
        let mut worst = 0.0f32;
        for t in 0..frames {
            let size = (0..rows).map(|k| want[k * frames + t].abs()).fold(0.0, f32::max);
            let tol = 5e-4 * (size / 100.0).max(1.0);
            for k in 0..rows {
                let e = (got[k * frames + t] - want[k * frames + t]).abs() / (tol * lifter_gain(lifter, k));
                worst = worst.max(e);
            }
        }
        println!("{preset_name} on {signal}: worst error {worst:.3} of the 5e-4-per-100 tolerance");
        assert!(worst <= 1.0, "{name}: error {worst}× the tolerance");
    }
}

// 60 dB of power in each preset's output units.
const WHISPER_60DB: f32 = 6.0 / 4.0; // log10 power, then (x + 4) / 4
const KALDI_60DB: f32 = 6.0 * core::f32::consts::LN_10; // ln power
const AUDIOSET_60DB: f32 = 3.0 * core::f32::consts::LN_10; // ln magnitude

#[test]
fn whisper_matches_faster_whisper() {
    check_log("whisper-80", "whisper80", WHISPER_60DB, 1e-4);
    check_log("whisper-128", "whisper128", WHISPER_60DB, 1e-4);
}

#[test]
fn librosa_mel_matches_power_to_db_melspectrogram() {
    check_log("librosa-mel", "librosa_mel", 60.0, 1e-3);
}

#[test]
fn librosa_mfcc_matches_feature_mfcc() {
    check_mfcc("librosa-mfcc", "librosa_mfcc", preset("librosa-mfcc").unwrap());
    let mut lifted = preset("librosa-mfcc").unwrap();
    lifted.mfcc.as_mut().unwrap().lifter = Lifter::Librosa(22.0);
    check_mfcc("librosa-mfcc lifter 22", "librosa_mfcc_lifter22", lifted);
}

#[test]
fn kaldi_matches_kaldi_native_fbank() {
    check_log("kaldi-fbank", "kaldi_fbank", KALDI_60DB, 1e-4);
    check_mfcc("kaldi-mfcc", "kaldi_mfcc", preset("kaldi-mfcc").unwrap());
}

#[test]
fn yamnet_and_vggish_match_mel_features() {
    check_log("yamnet", "yamnet", AUDIOSET_60DB, 1e-4);
    check_log("vggish", "vggish", AUDIOSET_60DB, 1e-4);
}

fn check_matrix(mel: &Mel, sr: u32, n_fft: usize, golden_name: &str, tol: f32) {
    let (shape, want) =
        if golden_name.ends_with(".sparse") { golden_sparse_dense(golden_name) } else { golden(golden_name) };
    let got = stapes_core::mel::matrix(mel, sr, n_fft);
    assert_eq!(shape, [mel.n_mels as usize, n_fft / 2 + 1], "{golden_name}: shape");
    let err = got.iter().zip(&want).map(|(g, w)| (g - w).abs()).fold(0.0, f32::max);
    println!("{golden_name}: max |error| {err:.2e}");
    assert!(err <= tol, "{golden_name}: filter matrix off by {err}");
}

#[test]
fn mel_filter_matrices_match_the_references() {
    let mel_of = |name: &str| preset(name).unwrap().mel.unwrap();
    check_matrix(&mel_of("whisper-80"), 16000, 400, "whisper_melfb80", 1e-6);
    check_matrix(&mel_of("whisper-128"), 16000, 400, "whisper_melfb128.sparse", 1e-6);
    check_matrix(&mel_of("librosa-mel"), 22050, 2048, "librosa_melfb_slaney_22050_2048_128.sparse", 1e-6);
    check_matrix(&mel_of("vggish"), 16000, 512, "vggish_melfb_64", 1e-6);
    // kaldi-native-fbank builds its table in float32 (`1127.0f * logf(...)`): one ulp of a mel value (~2.4e-4)
    // over a band ~100 mel wide moves a weight by ~2.4e-6. Ours is the exact math rounded once (checked below
    // against Kaldi's loop in f64), so against KNF's table the bound is its own rounding, 4e-6.
    check_matrix(&mel_of("kaldi-fbank"), 16000, 512, "kaldi_melfb_23", 4e-6);
    let exact = kaldi_mel_banks_f64(23, 512, 16000.0, 20.0, 8000.0);
    let ours = stapes_core::mel::matrix(&mel_of("kaldi-fbank"), 16000, 512);
    let err = ours.iter().zip(&exact).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max);
    println!("kaldi mel banks vs Kaldi's loop in f64: max |error| {err:.2e}");
    assert!(err <= 1e-7);
    let htk = Mel {
        n_mels: 40,
        fmin: 0.0,
        fmax: 8000.0,
        scale: stapes_core::config::MelScale::Htk,
        norm: stapes_core::config::MelNorm::Peak,
        domain: stapes_core::config::TriangleDomain::Hz,
        zero_dc: false,
        include_nyquist: true,
    };
    check_matrix(&htk, 16000, 512, "librosa_melfb_htk_16000_512_40", 1e-6);
}

/// Kaldi's `MelBanks` constructor (mel-computations.cc) transcribed in f64: `n × (n_fft/2 + 1)`.
fn kaldi_mel_banks_f64(n: usize, n_fft: usize, sr: f64, low: f64, high: f64) -> Vec<f64> {
    let mel = |f: f64| 1127.0 * (1.0 + f / 700.0).ln();
    let (lo, hi) = (mel(low), mel(high));
    let delta = (hi - lo) / (n + 1) as f64;
    let bins = n_fft / 2 + 1;
    let mut out = vec![0.0; n * bins];
    for b in 0..n {
        let (l, c, r) = (lo + b as f64 * delta, lo + (b + 1) as f64 * delta, lo + (b + 2) as f64 * delta);
        for i in 0..n_fft / 2 {
            let m = mel(sr / n_fft as f64 * i as f64);
            if m > l && m < r {
                out[b * bins + i] = if m <= c { (m - l) / (c - l) } else { (r - m) / (r - c) };
            }
        }
    }
    out
}

#[test]
fn linear_spectrum_matches_librosa_stft() {
    let mut config = preset("librosa-mel").unwrap();
    config.mel = None;
    config.log = stapes_core::config::Log::None;
    config.normalize = stapes_core::config::Normalize::None;
    config.spectrum = stapes_core::config::SpectrumKind::Magnitude;
    let (rows, frames, got) = ours(&config, "sig_speech22");
    let (shape, want) = golden("librosa_stftmag_speech22_f0to4");
    assert_eq!(rows, shape[0]);
    let peak = want.iter().cloned().fold(0.0, f32::max);
    let mut worst = 0.0f32;
    for k in 0..rows {
        for t in 0..shape[1] {
            worst = worst.max((got[k * frames + t] - want[k * shape[1] + t]).abs());
        }
    }
    println!("stft magnitude: max |error| {worst:.2e} (peak {peak:.1})");
    assert!(worst <= 2e-6 * peak, "stft magnitude off by {worst}");
}

#[test]
fn scalars_match_librosa() {
    let mut config = preset("librosa-mel").unwrap();
    config.scalars = Scalars { flux: false, ..Scalars::ALL };
    // librosa's zero-crossing rate pads with edge values, the others with zeros.
    let mut edge = config.clone();
    edge.frames.padding = Padding::Edge;
    for signal in ["speech22", "music22"] {
        let (_, x) = golden(&format!("sig_{signal}"));
        let f = extract(&config, &x).unwrap();
        let fe = extract(&edge, &x).unwrap();
        for (i, (name, rel)) in [
            ("rms", 1e-5f32),
            ("zcr", 0.0),
            ("centroid", 1e-4),
            ("bandwidth", 1e-4),
            ("rolloff", 0.0),
            ("flatness", 1e-3),
        ]
        .into_iter()
        .enumerate()
        {
            let (shape, want) = golden(&format!("librosa_{name}_{signal}"));
            assert_eq!(shape[1], f.n_frames);
            let source = if name == "zcr" { &fe } else { &f };
            let mut worst = 0.0f32;
            for (t, &w) in want.iter().enumerate() {
                let g = source.scalars[t * f.n_scalars + i];
                worst = worst.max((g - w).abs() / w.abs().max(1e-3));
            }
            println!("{name} on {signal}: worst relative error {worst:.2e}");
            assert!(worst <= rel.max(1e-6), "{name} on {signal}: relative error {worst}");
        }
    }
}
