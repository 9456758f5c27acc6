//! Config validation, JSON round trips, and the decoder's promise: any bytes give an error or a valid config.

use proptest::prelude::*;
use stapes_core::config::{DecodeError, Lifter, Log, Mfcc, Normalize, Padding};
use stapes_core::{Config, ConfigError, preset};

fn kaldi() -> Config {
    preset("kaldi-mfcc").unwrap()
}

#[test]
fn every_preset_round_trips_through_json() {
    for name in stapes_core::preset::NAMES {
        let c = preset(name).unwrap();
        let json = c.to_json();
        assert_eq!(Config::from_json(json.as_bytes()).unwrap(), c, "{name}: {json}");
    }
}

/// Each bad combination gets its own typed error naming the field.
#[test]
fn bad_configs_are_refused_with_the_field() {
    type Edit = fn(&mut Config);
    let cases: &[(Edit, &str)] = &[
        (|c| c.sample_rate = 0, "sample_rate"),
        (|c| c.sample_rate = 10_000_000, "sample_rate"),
        (|c| c.frames.n_fft = 500 * 7, "frames.n_fft"),
        (|c| c.frames.n_fft = 8192, "frames.n_fft"),
        (|c| c.frames.n_fft = 8, "frames.n_fft"),
        (|c| c.frames.win_length = 1024, "frames.win_length"),
        (|c| c.frames.win_length = 0, "frames.win_length"),
        (|c| c.frames.hop_length = 0, "frames.hop_length"),
        (|c| c.frames.drop_last = true, "frames.drop_last"),
        (|c| c.input_scale = f32::NAN, "input_scale"),
        (|c| c.input_scale = 0.0, "input_scale"),
        (|c| c.dither = -1.0, "dither"),
        (|c| c.dither = f32::INFINITY, "dither"),
        (|c| c.preemphasis = 1.5, "preemphasis"),
        (|c| c.mel.as_mut().unwrap().fmax = 9000.0, "mel.fmax"),
        (|c| c.mel.as_mut().unwrap().fmin = 8000.0, "mel.fmin"),
        (|c| c.mel.as_mut().unwrap().fmin = -1.0, "mel.fmin"),
        (|c| c.mel.as_mut().unwrap().n_mels = 0, "mel.n_mels"),
        (|c| c.mel.as_mut().unwrap().n_mels = 300, "mel.n_mels"),
        (|c| c.log = Log::Log10 { floor: 0.0 }, "log.floor"),
        (|c| c.log = Log::Db { amin: 1e-10, reference: -1.0 }, "log.reference"),
        (|c| c.log = Log::Ln { offset: f32::NAN, floor: 0.0 }, "log.offset/floor"),
        (|c| c.normalize = Normalize::Utterance { range: 0.0 }, "normalize.range"),
        (|c| c.affine.mul = 0.0, "affine"),
        (|c| c.mfcc = Some(Mfcc { n_mfcc: 24, lifter: Lifter::None, energy_c0: false }), "mfcc.n_mfcc"),
        (|c| c.mfcc = Some(Mfcc { n_mfcc: 13, lifter: Lifter::Kaldi(-2.0), energy_c0: false }), "mfcc.lifter"),
        (|c| c.mel = None, "mfcc"),
        (|c| c.log = Log::None, "mfcc needs a log compression"),
    ];
    for (i, (edit, field)) in cases.iter().enumerate() {
        let mut c = kaldi();
        edit(&mut c);
        let err = c.validate().expect_err(&format!("case {i} ({field}) was accepted"));
        assert_eq!(err.field(), *field, "case {i}: {err}");
        assert!(err.to_string().starts_with(field), "message names the field: {err}");
    }
    // Too many mel bands for a small FFT.
    let mut c = kaldi();
    c.frames.n_fft = 32;
    c.frames.win_length = 32;
    c.frames.hop_length = 16;
    assert!(matches!(c.validate(), Err(ConfigError::TooManyMels { n_mels: 23, bins: 17 })));
    // Window longer than the FFT when the window is at the start and centring pads more than it covers.
    let mut c = kaldi();
    c.frames.padding = Padding::Constant;
    c.frames.win_length = 200;
    assert_eq!(c.validate().unwrap_err().field(), "frames.win_length");
}

#[test]
fn json_errors_name_the_problem() {
    let err = |s: &str| Config::from_json(s.as_bytes()).unwrap_err().to_string();
    assert!(err("").contains("EOF"));
    assert!(err("{}").contains("missing field"));
    let mut v: serde_json::Value = serde_json::from_str(&kaldi().to_json()).unwrap();
    v["frames"]["hopp"] = 3.into();
    assert!(err(&v.to_string()).contains("unknown field `hopp`"));
    let mut v: serde_json::Value = serde_json::from_str(&kaldi().to_json()).unwrap();
    v["mel"]["fmax"] = 12000.0.into();
    let e = Config::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(matches!(e, DecodeError::Invalid(ConfigError::FmaxAboveNyquist { .. })), "{e}");
    assert!(e.to_string().contains("mel.fmax"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes: an error or a valid config, never a panic.
    #[test]
    fn any_bytes_decode_to_an_error_or_a_valid_config(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(c) = Config::from_json(&bytes) {
            prop_assert!(c.validate().is_ok());
        }
    }

    /// Mutated valid JSON (the interesting neighbourhood): byte flips, cuts and splices.
    #[test]
    fn mutated_configs_decode_to_an_error_or_a_valid_config(
        preset_index in 0..stapes_core::preset::NAMES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = preset(stapes_core::preset::NAMES[preset_index]).unwrap().to_json().into_bytes();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len().max(1)).min(bytes.len().saturating_sub(1));
            match kind {
                0 if !bytes.is_empty() => bytes[i] = byte,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, byte),
            }
        }
        if let Ok(c) = Config::from_json(&bytes) {
            prop_assert!(c.validate().is_ok());
            // Whatever validates must build and run without panicking.
            let x: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.01).sin()).collect();
            prop_assert!(stapes_core::extract(&c, &x).is_ok());
        }
    }
}

#[test]
fn the_streamable_form_only_switches_the_utterance_normalisation_off_and_scalars_name_their_columns() {
    use stapes_core::config::Scalars;
    let whisper = preset("whisper-80").unwrap();
    let s = whisper.streamable();
    assert_eq!(s.normalize, Normalize::None);
    assert_eq!(Config { normalize: whisper.normalize, ..s.clone() }, whisper);
    assert_eq!(s.streamable(), s);
    let some = Scalars { zcr: true, rolloff: true, flux: true, ..Scalars::default() };
    assert_eq!(some.selected().collect::<Vec<_>>(), ["zcr", "rolloff", "flux"]);
    assert_eq!((some.position("rolloff"), some.position("rms"), some.position("nope")), (Some(1), None, None));
    assert_eq!(Scalars::ALL.selected().collect::<Vec<_>>(), Scalars::NAMES);
}
