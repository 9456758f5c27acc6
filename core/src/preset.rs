//! Named presets: each is a [`Config`] that reproduces the front end a family of models was trained with.
//! Every convention each one pins is spelled out below and in the config fields themselves.
//!
//! All presets take audio in [-1, 1] at the preset's sample rate (Kaldi's int16 scaling is `input_scale`).

use crate::config::{
    Affine, Align, Config, Framing, Lifter, Log, Mel, MelNorm, MelScale, Mfcc, Normalize, Padding, Scalars,
    SpectrumKind, TriangleDomain, Window, WindowKind,
};
use crate::micro::{MicroConfig, MicroOutput};

/// The preset names, in a stable order.
pub const NAMES: [&str; 8] =
    ["whisper-80", "whisper-128", "yamnet", "vggish", "kaldi-fbank", "kaldi-mfcc", "librosa-mel", "librosa-mfcc"];

/// The TFLite Micro front-end presets ([`micro_preset`]), integer pipelines with their own [`MicroConfig`].
pub const MICRO_NAMES: [&str; 2] = ["micro-wakeword", "micro-speech"];

/// The TFLite Micro front-end preset called `name`, if there is one.
pub fn micro_preset(name: &str) -> Option<MicroConfig> {
    Some(match name {
        "micro-wakeword" => micro_wakeword(),
        "micro-speech" => MicroConfig { step_ms: 20, ..micro_wakeword() },
        _ => return None,
    })
}

/// microWakeWord's features, as `pymicro-features` 2.0.2 computes them (its `src/micro_features.cpp`
/// `init_cfg`, which ESPHome's `micro_wake_word` also sets): 16 kHz, 30 ms window, 10 ms step, 40 channels,
/// 125–7500 Hz; noise reduction with 10 smoothing bits, even 0.025, odd 0.06, minimum signal 0.05; PCAN on with
/// strength 0.95, offset 80, 21 gain bits; log on with scale shift 6. Output: pymicro-features' float scale.
///
/// `micro-speech` is TFLite Micro's micro_speech example: the same settings with a 20 ms step
/// (`kFeatureSliceDurationMs = 30`, `kFeatureSliceStrideMs = 20`, `kFeatureSliceSize = 40` in its
/// `micro_model_settings.h`, the front-end values in `micro_features_generator.cc`; the newer signal-library
/// version, `audio_preprocessor.py`'s `FeatureParams`, keeps them).
fn micro_wakeword() -> MicroConfig {
    MicroConfig {
        sample_rate: 16_000,
        window_ms: 30,
        step_ms: 10,
        channels: 40,
        lower_band_hz: 125.0,
        upper_band_hz: 7500.0,
        smoothing_bits: 10,
        even_smoothing: 0.025,
        odd_smoothing: 0.06,
        min_signal_remaining: 0.05,
        enable_pcan: true,
        pcan_strength: 0.95,
        pcan_offset: 80.0,
        gain_bits: 21,
        enable_log: true,
        scale_shift: 6,
        output: MicroOutput::Float,
    }
}

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<Config> {
    Some(match name {
        "whisper-80" => whisper(80),
        "whisper-128" => whisper(128),
        "yamnet" => audioset(0.001),
        "vggish" => audioset(0.01),
        "kaldi-fbank" => kaldi(None),
        "kaldi-mfcc" => kaldi(Some(Mfcc { n_mfcc: 13, lifter: Lifter::Kaldi(22.0), energy_c0: true })),
        "librosa-mel" => librosa(None),
        "librosa-mfcc" => librosa(Some(Mfcc { n_mfcc: 20, lifter: Lifter::None, energy_c0: false })),
        _ => return None,
    })
}

/// OpenAI Whisper `log_mel_spectrogram` (80 mels; 128 for large-v3), with `padding=0`.
///
/// 16 kHz; 400-point periodic Hann, hop 160; centred with **reflect** padding (torch.stft); the last frame dropped
/// (`stft[..., :-1]`, so N samples give N/160 frames); power spectrum; Slaney-scale mel, Slaney area norm,
/// triangles in Hz, 0–8000 Hz (librosa's filters, as in Whisper's `mel_filters.npz`); `log10(max(x, 1e-10))`;
/// **utterance** scope: `max(x, max − 8)` over the whole input (offline only); then `(x + 4) / 4`.
/// Streamable variant: set `normalize` to `none` (the clamp is then skipped).
fn whisper(n_mels: u32) -> Config {
    Config {
        sample_rate: 16_000,
        frames: Framing { n_fft: 400, win_length: 400, hop_length: 160, padding: Padding::Reflect, drop_last: true },
        window: Window { kind: WindowKind::Hann, symmetric: false, align: Align::Center },
        spectrum: SpectrumKind::Power,
        mel: Some(Mel {
            n_mels,
            fmin: 0.0,
            fmax: 8000.0,
            scale: MelScale::Slaney,
            norm: MelNorm::Slaney,
            domain: TriangleDomain::Hz,
            zero_dc: false,
            include_nyquist: true,
        }),
        log: Log::Log10 { floor: 1e-10 },
        normalize: Normalize::Utterance { range: 8.0 },
        affine: Affine { add: 4.0, mul: 0.25 },
        ..base()
    }
}

/// YAMNet (`log_offset` 0.001) and VGGish (0.01) log-mel frames, as `tensorflow/models` research/audioset.
///
/// 16 kHz; 25 ms (400) periodic Hann at the **start** of a 512-point FFT, hop 10 ms (160); no centring: only
/// complete frames (N samples give 1 + (N − 400)/160); **magnitude** spectrum; HTK mel, peak 1, triangles in
/// **mel**, DC bin zeroed, 125–7500 Hz, 64 bands; `ln(x + offset)`; per-frame only (streamable). The models'
/// 96-frame patches are cut from these frames by the caller.
fn audioset(log_offset: f32) -> Config {
    Config {
        frames: Framing { n_fft: 512, win_length: 400, hop_length: 160, padding: Padding::None, drop_last: false },
        window: Window { kind: WindowKind::Hann, symmetric: false, align: Align::Start },
        spectrum: SpectrumKind::Magnitude,
        mel: Some(Mel {
            n_mels: 64,
            fmin: 125.0,
            fmax: 7500.0,
            scale: MelScale::Htk,
            norm: MelNorm::Peak,
            domain: TriangleDomain::Mel,
            zero_dc: true,
            include_nyquist: true,
        }),
        log: Log::Ln { offset: log_offset, floor: 0.0 },
        ..base()
    }
}

/// Kaldi `compute-fbank-feats` / `compute-mfcc-feats` defaults (kaldi-native-fbank with dither 0).
///
/// 16 kHz, input scaled by 32768 (Kaldi's int16 range); 25 ms (400) frames, 10 ms shift, `snip_edges` (only
/// complete frames); dither 0; per-frame DC removal; pre-emphasis 0.97 (`x[0] -= 0.97·x[0]`); **povey** window
/// (symmetric Hann^0.85) at the start of a 512-point FFT; power spectrum; HTK mel (`1127 ln(1 + f/700)`), peak 1,
/// triangles in **mel**, Nyquist bin dropped, 20–8000 Hz, 23 bands; `ln(max(x, FLT_EPSILON))`; streamable.
/// MFCC: 13 coefficients, orthonormal DCT-II, lifter 22 (Kaldi's index convention), C0 replaced by the raw log
/// energy of the frame after DC removal and before pre-emphasis (`use_energy`, `raw_energy`).
fn kaldi(mfcc: Option<Mfcc>) -> Config {
    Config {
        input_scale: 32768.0,
        frames: Framing { n_fft: 512, win_length: 400, hop_length: 160, padding: Padding::None, drop_last: false },
        remove_dc: true,
        preemphasis: 0.97,
        window: Window { kind: WindowKind::Povey, symmetric: true, align: Align::Start },
        spectrum: SpectrumKind::Power,
        mel: Some(Mel {
            n_mels: 23,
            fmin: 20.0,
            fmax: 8000.0,
            scale: MelScale::Htk,
            norm: MelNorm::Peak,
            domain: TriangleDomain::Mel,
            zero_dc: false,
            include_nyquist: false,
        }),
        log: Log::Ln { offset: 0.0, floor: f32::EPSILON },
        mfcc,
        ..base()
    }
}

/// librosa 0.11 defaults: `power_to_db(melspectrogram(y, sr=22050))` and `mfcc(y, sr=22050)`.
///
/// 22.05 kHz; 2048-point periodic Hann, hop 512; centred with **constant (zero)** padding (librosa ≥ 0.9);
/// power spectrum; Slaney mel, Slaney norm, triangles in Hz, 0–11025 Hz, 128 bands; dB:
/// `10·log10(max(x, 1e-10))` (ref 1); **utterance** scope `top_db = 80` (offline only; streamable variant:
/// `normalize: none`). MFCC: 20 coefficients, orthonormal DCT-II of the dB bands, no lifter.
fn librosa(mfcc: Option<Mfcc>) -> Config {
    Config {
        sample_rate: 22_050,
        frames: Framing {
            n_fft: 2048,
            win_length: 2048,
            hop_length: 512,
            padding: Padding::Constant,
            drop_last: false,
        },
        window: Window { kind: WindowKind::Hann, symmetric: false, align: Align::Center },
        spectrum: SpectrumKind::Power,
        mel: Some(Mel {
            n_mels: 128,
            fmin: 0.0,
            fmax: 11025.0,
            scale: MelScale::Slaney,
            norm: MelNorm::Slaney,
            domain: TriangleDomain::Hz,
            zero_dc: false,
            include_nyquist: true,
        }),
        log: Log::Db { amin: 1e-10, reference: 1.0 },
        normalize: Normalize::Utterance { range: 80.0 },
        mfcc,
        ..base()
    }
}

/// Neutral settings the presets start from.
fn base() -> Config {
    Config {
        sample_rate: 16_000,
        input_scale: 1.0,
        frames: Framing { n_fft: 512, win_length: 512, hop_length: 256, padding: Padding::None, drop_last: false },
        dither: 0.0,
        dither_seed: 0,
        remove_dc: false,
        preemphasis: 0.0,
        window: Window { kind: WindowKind::Hann, symmetric: false, align: Align::Center },
        spectrum: SpectrumKind::Power,
        mel: None,
        log: Log::None,
        normalize: Normalize::None,
        affine: Affine::IDENTITY,
        mfcc: None,
        scalars: Scalars::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_named() {
        for name in NAMES {
            let c = preset(name).unwrap();
            c.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(preset("whisper").is_none());
        for name in MICRO_NAMES {
            let c = micro_preset(name).unwrap();
            c.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(preset(name).is_none());
        }
    }
}
