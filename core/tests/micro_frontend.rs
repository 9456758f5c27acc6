//! The TFLite Micro front end against the real reference, u16 for u16 with zero differences: pymicro-features
//! 2.0.2 on every test signal and on ten minutes of audio, and the reference C (built from its sdist) on every
//! parameter set in `core/tests/golden/micro/manifest.json` (`tools/golden/make_micro_golden.py`).

use std::path::PathBuf;

use stapes_core::micro::{MicroConfig, MicroFrontend, extract_u16};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/micro"))
}

/// Reads an int16 or uint16 `.npy` (what `np.save` writes for them: format 1.0, little-endian, C order) as u16
/// bit patterns.
fn read_npy16(name: &str) -> (Vec<usize>, Vec<u16>) {
    let bytes = std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{name}");
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + len]).unwrap();
    assert!(header.contains("'<i2'") || header.contains("'<u2'"), "{name}: {header}");
    assert!(header.contains("'fortran_order': False"), "{name}");
    let shape_text = header.split("'shape': (").nth(1).unwrap().split(')').next().unwrap();
    let shape: Vec<usize> =
        shape_text.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    let data: Vec<u16> = bytes[start + len..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    assert_eq!(data.len(), shape.iter().product::<usize>(), "{name}");
    (shape, data)
}

fn signal(name: &str) -> Vec<i16> {
    read_npy16(&format!("sig_{name}.npy")).1.into_iter().map(|x| x as i16).collect()
}

fn fnv1a64(values: &[u16]) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for v in values {
        for b in v.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The 10-minute signal, by the recipe in the manifest (integer arithmetic only, as the generator builds it).
fn long_signal(speech: &[i16]) -> Vec<i16> {
    (0..10 * 60 * 16_000i64)
        .map(|n| {
            let t = n % 112_000;
            let env = if t < 56_000 { t * 512 / 56_000 } else { (112_000 - t) * 512 / 56_000 };
            let noise = (((n * 2_654_435_761) & 0xffff_ffff) >> 22) - 512;
            let x = ((speech[(n as usize) % speech.len()] as i64 * env) >> 8) + noise;
            x.clamp(-32768, 32767) as i16
        })
        .collect()
}

struct Case {
    name: String,
    signal: String,
    config: MicroConfig,
    frames: usize,
    hash: String,
}

fn cases() -> (Vec<Case>, Vec<String>, usize) {
    let text = std::fs::read_to_string(dir().join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mix = m["mix"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let cases = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().into(),
            signal: c["signal"].as_str().unwrap().into(),
            config: serde_json::from_value(c["config"].clone()).unwrap(),
            frames: c["frames"].as_u64().unwrap() as usize,
            hash: c["fnv1a64"].as_str().unwrap().into(),
        })
        .collect();
    (cases, mix, m["frames_total"].as_u64().unwrap() as usize)
}

fn input(case: &Case, mix: &[String]) -> Vec<i16> {
    match case.signal.as_str() {
        "mix" => mix.iter().flat_map(|s| signal(s)).collect(),
        "long" => long_signal(&signal("speech")),
        s => signal(s),
    }
}

/// Feeds `samples` in chunks of the given sizes (cycled), as a stream.
fn streamed(config: &MicroConfig, samples: &[i16], chunks: &[usize]) -> Vec<u16> {
    let mut fe = Box::new(MicroFrontend::new(config).unwrap());
    let mut out = Vec::new();
    let mut pos = 0;
    for &c in chunks.iter().cycle() {
        if pos >= samples.len() {
            break;
        }
        let end = (pos + c).min(samples.len());
        fe.push(&samples[pos..end], &mut |f| out.extend_from_slice(f));
        pos = end;
    }
    out
}

#[test]
fn every_case_matches_the_reference_u16_for_u16() {
    let (cases, mix, total) = cases();
    let mut compared = 0;
    for case in &cases {
        let x = input(case, &mix);
        let got = extract_u16(&case.config, &x).unwrap();
        let channels = case.config.channels as usize;
        assert_eq!(got.len() / channels, case.frames, "{}: frame count", case.name);
        if case.name.starts_with("pmf_") && case.signal != "long" {
            // Stored in full: name the first frame and channel that differ.
            let (shape, want) = read_npy16(&format!("{}.npy", case.name));
            assert_eq!(shape, [case.frames, channels], "{}", case.name);
            if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
                panic!(
                    "{}: frame {} channel {}: {} vs reference {}",
                    case.name,
                    i / channels,
                    i % channels,
                    got[i],
                    want[i]
                );
            }
        }
        assert_eq!(fnv1a64(&got), case.hash, "{}: u16 output differs from the reference", case.name);
        compared += case.frames;
    }
    assert_eq!(compared, total);
    println!("{} cases, {compared} frames compared u16 for u16", cases.len());
}

#[test]
fn streaming_equals_offline_for_any_chunking() {
    let (cases, mix, _) = cases();
    // The preset on speech, and on the mix of every signal with PCAN off, log off and another window and rate.
    let chosen = ["pmf_speech", "c_preset", "c_pcan_off_log_off", "c_window_64_32", "c_rate_22050"];
    for case in cases.iter().filter(|c| chosen.contains(&c.name.as_str())) {
        let x = input(case, &mix);
        let offline = extract_u16(&case.config, &x).unwrap();
        for chunks in [&[1usize][..], &[160], &[7, 500, 1, 33], &[4096], &[479, 481]] {
            assert_eq!(streamed(&case.config, &x, chunks), offline, "{} chunks {chunks:?}", case.name);
        }
    }
}

#[test]
fn reset_returns_to_a_fresh_front_end() {
    let (cases, mix, _) = cases();
    let case = &cases[0];
    let x = input(case, &mix);
    let mut fe = Box::new(MicroFrontend::new(&case.config).unwrap());
    let mut first = Vec::new();
    fe.push(&x, &mut |f| first.extend_from_slice(f));
    // Leave a partial window and a warm noise estimate behind, then reset.
    fe.push(&x[..1234], &mut |_| {});
    fe.reset();
    let mut again = Vec::new();
    fe.push(&x, &mut |f| again.extend_from_slice(f));
    assert_eq!(first, again);
}

#[test]
fn invalid_configs_are_refused_naming_the_field() {
    let good = stapes_core::preset::micro_preset("micro-wakeword").unwrap();
    let cases: Vec<(MicroConfig, &str)> = vec![
        (MicroConfig { sample_rate: 0, ..good }, "sample_rate"),
        (MicroConfig { window_ms: 0, ..good }, "window_ms"),
        (MicroConfig { window_ms: 100, ..good }, "window_ms"),
        (MicroConfig { step_ms: 0, ..good }, "step_ms"),
        (MicroConfig { step_ms: 31, ..good }, "step_ms"),
        (MicroConfig { channels: 0, ..good }, "channels"),
        (MicroConfig { channels: 1000, ..good }, "channels"),
        (MicroConfig { lower_band_hz: f32::NAN, ..good }, "lower_band_hz"),
        (MicroConfig { lower_band_hz: -1.0, ..good }, "lower_band_hz"),
        (MicroConfig { upper_band_hz: 100.0, ..good }, "upper_band_hz"),
        (MicroConfig { upper_band_hz: 9000.0, ..good }, "upper_band_hz"),
        (MicroConfig { smoothing_bits: 32, ..good }, "smoothing_bits"),
        (MicroConfig { smoothing_bits: 1, ..good }, "smoothing_bits"),
        (MicroConfig { even_smoothing: 1.5, ..good }, "even_smoothing"),
        (MicroConfig { odd_smoothing: -0.1, ..good }, "odd_smoothing"),
        (MicroConfig { min_signal_remaining: f32::INFINITY, ..good }, "min_signal_remaining"),
        (MicroConfig { pcan_strength: -1.0, ..good }, "pcan_strength"),
        (MicroConfig { pcan_offset: f32::NAN, ..good }, "pcan_offset"),
        (MicroConfig { gain_bits: 40, ..good }, "gain_bits"),
        (MicroConfig { gain_bits: 10, ..good }, "gain_bits"),
        (MicroConfig { scale_shift: 32, ..good }, "scale_shift"),
    ];
    for (c, field) in cases {
        let e = c.validate().expect_err(field);
        assert_eq!(e.field(), field, "{e}");
        assert!(MicroFrontend::new(&c).is_err());
    }
    // With PCAN off its fields are not used, so not checked.
    MicroConfig { enable_pcan: false, gain_bits: 10, smoothing_bits: 0, ..good }.validate().unwrap();
}

#[test]
fn config_json_round_trips_and_refuses_unknown_fields() {
    for name in stapes_core::preset::MICRO_NAMES {
        let c = stapes_core::preset::micro_preset(name).unwrap();
        assert_eq!(MicroConfig::from_json(c.to_json().as_bytes()).unwrap(), c);
    }
    let mut v: serde_json::Value =
        serde_json::from_str(&stapes_core::preset::micro_preset("micro-speech").unwrap().to_json()).unwrap();
    v["channel"] = 3.into();
    assert!(MicroConfig::from_json(v.to_string().as_bytes()).is_err());
}

#[test]
fn output_forms_follow_their_references() {
    use stapes_core::micro::{MicroOutput, convert, to_float, to_int8};
    for v in [0u16, 1, 25, 333, 670, 1000, 65535] {
        // pymicro-features: u16 × 0.0390625 in f32, which is u16 / 25.6.
        assert_eq!(to_float(v) as f64, v as f64 / 25.6);
        assert_eq!(convert(v, MicroOutput::U16), v as f32);
        assert_eq!(convert(v, MicroOutput::Float), to_float(v));
        assert_eq!(convert(v, MicroOutput::Int8), to_int8(v) as f32);
    }
    // ESPHome: round(v · 256 / 666) − 128, clipped.
    assert_eq!(to_int8(0), -128);
    assert_eq!(to_int8(333), 0);
    assert_eq!(to_int8(666), 127);
    assert_eq!(to_int8(65535), 127);
}
