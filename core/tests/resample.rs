//! The resampler: streaming equals offline bit for bit for every chunking, equal rates are the identity, outputs
//! are the plan's dot products at the right input times (a slow f64 reference), and bad input is a typed error.
//! Its frequency response is measured against soxr and scipy in `pyext/tests/test_resample.py`.

use proptest::prelude::*;
use stapes_core::resample::{ResampleError, ResamplePlan, Resampler, resample};

/// The ratios the issue names, and the extremes of the range.
const RATES: [(u32, u32); 9] = [
    (44_100, 16_000),
    (48_000, 16_000),
    (22_050, 16_000),
    (8_000, 16_000),
    (16_000, 16_000),
    (16_000, 44_100),
    (48_000, 8_000),
    (8_000, 48_000),
    (11_025, 22_050),
];

fn test_signal(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let noise = ((s >> 40) as f32 / 16_777_216.0) - 0.5;
            let v = 0.5 * (i as f32 * 0.031).sin() + 0.3 * noise;
            // A few exact and negative zeros, which the identity must keep.
            if i % 97 == 5 { -0.0 } else { v }
        })
        .collect()
}

/// Streams `x` in the given chunk sizes (cycled), then flushes; checks each call's count against its promise.
fn stream(plan: ResamplePlan, x: &[f32], chunks: &[usize]) -> Vec<f32> {
    // Storage full of garbage first: nothing may read what it did not write.
    let mut storage = vec![f32::NAN; Resampler::<Vec<f32>>::storage_len(&plan)];
    storage.iter_mut().enumerate().for_each(|(i, v)| *v = if i % 3 == 0 { f32::NAN } else { 1e30 });
    let mut r = Resampler::new(plan, storage).unwrap();
    let mut out = vec![0.0; plan.output_len(x.len() as u64) as usize];
    let mut n = 0;
    let mut rest = x;
    for &c in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(c.min(rest.len()));
        let promised = r.output_len(chunk.len());
        let wrote = r.push(chunk, &mut out[n..]).unwrap();
        assert_eq!(wrote, promised);
        n += wrote;
        rest = tail;
    }
    assert_eq!(r.flush_len(), out.len() - n);
    n += r.flush(&mut out[n..]).unwrap();
    assert_eq!(n, out.len());
    out
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn streaming_equals_offline_for_any_chunking(
        which in 0..RATES.len(),
        len in 0usize..6_000,
        chunks in prop::collection::vec(1usize..1_500, 1..12),
        seed in any::<u64>(),
    ) {
        let (from, to) = RATES[which];
        let x = test_signal(len, seed);
        let offline = resample(&x, from, to).unwrap();
        let streamed = stream(ResamplePlan::new(from, to).unwrap(), &x, &chunks);
        prop_assert_eq!(bits(&offline), bits(&streamed));
    }
}

/// Rates anywhere in the range: every whole kHz from 8 to 48 and the CD family.
fn any_rate() -> impl Strategy<Value = u32> {
    prop_oneof![(8u32..=48).prop_map(|k| k * 1_000), prop::sample::select(vec![11_025u32, 22_050, 44_100])]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_pair_of_rates_streams_as_it_converts_offline(
        from in any_rate(),
        to in any_rate(),
        len in 0usize..3_000,
        chunks in prop::collection::vec(1usize..700, 1..6),
        seed in any::<u64>(),
    ) {
        let x = test_signal(len, seed);
        let offline = resample(&x, from, to).unwrap();
        prop_assert_eq!(offline.len() as u64, (len as u64 * u64::from(to)).div_ceil(u64::from(from)));
        let streamed = stream(ResamplePlan::new(from, to).unwrap(), &x, &chunks);
        prop_assert_eq!(bits(&offline), bits(&streamed));
    }
}

#[test]
fn streaming_equals_offline_sample_by_sample_and_in_one_piece() {
    for (from, to) in RATES {
        let x = test_signal(3_001, u64::from(from ^ to));
        let offline = resample(&x, from, to).unwrap();
        let plan = ResamplePlan::new(from, to).unwrap();
        assert_eq!(bits(&stream(plan, &x, &[1])), bits(&offline), "{from}→{to} one sample at a time");
        assert_eq!(bits(&stream(plan, &x, &[x.len()])), bits(&offline), "{from}→{to} in one push");
    }
}

#[test]
fn a_flushed_stream_starts_again() {
    let plan = ResamplePlan::new(44_100, 16_000).unwrap();
    let mut r = Resampler::new_owned(plan);
    let x = test_signal(2_000, 7);
    let offline = resample(&x, 44_100, 16_000).unwrap();
    for _ in 0..2 {
        let mut out = vec![0.0; offline.len()];
        let n = r.push(&x, &mut out).unwrap();
        let m = r.flush(&mut out[n..]).unwrap();
        assert_eq!(n + m, out.len());
        assert_eq!(bits(&out), bits(&offline));
    }
}

#[test]
fn equal_rates_are_the_identity_bit_for_bit() {
    let x = test_signal(5_000, 3);
    for sr in [8_000, 16_000, 44_100, 48_000] {
        assert_eq!(bits(&resample(&x, sr, sr).unwrap()), bits(&x));
        assert_eq!(bits(&stream(ResamplePlan::new(sr, sr).unwrap(), &x, &[17, 1, 400])), bits(&x));
    }
}

/// The slow reference: each output summed in f64 over every input sample, from the plan's taps placed by the
/// definition (output `n` at input time `n·down/up`, phase `n·down mod up`, tap `j` on input `q − half + 1 + j`),
/// with the signal zero outside itself.
#[test]
fn outputs_are_the_taps_at_the_right_times() {
    for (from, to) in RATES {
        let plan = ResamplePlan::new(from, to).unwrap();
        let mut table = vec![0.0; plan.taps_len()];
        plan.fill_taps(&mut table).unwrap();
        let x = test_signal(1_500, 11);
        let y = resample(&x, from, to).unwrap();
        let (up, down, n) = (u64::from(plan.up()), u64::from(plan.down()), plan.taps_per_phase());
        let half = if plan.is_identity() { 1 } else { n as i64 / 2 };
        assert_eq!(y.len() as u64, (x.len() as u64 * up).div_ceil(down));
        for (i, &got) in y.iter().enumerate() {
            let t = i as u64 * down;
            let (q, r) = ((t / up) as i64, (t % up) as usize);
            let mut want = 0.0f64;
            for j in 0..n {
                let k = q - half + 1 + j as i64;
                if k >= 0 && (k as usize) < x.len() {
                    want += f64::from(table[r * n + j]) * f64::from(x[k as usize]);
                }
            }
            assert!((f64::from(got) - want).abs() < 1e-5, "{from}→{to} output {i}: {got} vs {want}");
        }
    }
}

#[test]
fn a_constant_stays_constant_away_from_the_edges() {
    // Every phase has unit DC gain, so a constant signal comes out as itself (to f32 rounding) wherever the
    // window is inside the signal.
    for (from, to) in RATES {
        let x = vec![0.5f32; 20_000];
        let y = resample(&x, from, to).unwrap();
        let edge = y.len() / 4;
        for &v in &y[edge..y.len() - edge] {
            assert!((v - 0.5).abs() < 1e-5, "{from}→{to}: {v}");
        }
    }
}

#[test]
fn the_same_call_gives_the_same_bits() {
    let x = test_signal(10_000, 5);
    let a = resample(&x, 44_100, 16_000).unwrap();
    let b = resample(&x, 44_100, 16_000).unwrap();
    assert_eq!(bits(&a), bits(&b));
    let mut t1 = vec![0.0; ResamplePlan::new(22_050, 16_000).unwrap().taps_len()];
    let mut t2 = vec![1.0; t1.len() + 5];
    ResamplePlan::new(22_050, 16_000).unwrap().fill_taps(&mut t1).unwrap();
    ResamplePlan::new(22_050, 16_000).unwrap().fill_taps(&mut t2).unwrap();
    assert_eq!(bits(&t1), bits(&t2[..t1.len()]));
}

#[test]
fn bad_input_is_a_typed_error() {
    assert_eq!(resample(&[0.0; 10], 0, 16_000), Err(ResampleError::Rate { from: 0, to: 16_000 }));
    assert_eq!(resample(&[0.0; 10], 16_000, 96_000), Err(ResampleError::Rate { from: 16_000, to: 96_000 }));
    assert_eq!(resample(&[0.0, f32::NAN], 44_100, 16_000), Err(ResampleError::NonFinite { index: 1 }));
    assert_eq!(resample(&[f32::INFINITY], 16_000, 16_000), Err(ResampleError::NonFinite { index: 0 }));

    let plan = ResamplePlan::new(44_100, 16_000).unwrap();
    let need = Resampler::<Vec<f32>>::storage_len(&plan);
    assert!(matches!(
        Resampler::new(plan, vec![0.0; need - 1]),
        Err(ResampleError::Storage { expected, got }) if expected == need && got == need - 1
    ));

    // A refused chunk leaves the stream as it was.
    let x = test_signal(3_000, 9);
    let offline = resample(&x, 44_100, 16_000).unwrap();
    let mut r = Resampler::new_owned(plan);
    let mut out = vec![0.0; offline.len()];
    let mut n = r.push(&x[..1_000], &mut out).unwrap();
    let mut bad = x[1_000..1_100].to_vec();
    bad[50] = f32::NAN;
    assert_eq!(r.push(&bad, &mut out[n..]), Err(ResampleError::NonFinite { index: 50 }));
    // Too short an output is refused before anything is taken in.
    let want = r.output_len(2_000);
    assert!(want > 0);
    assert_eq!(
        r.push(&x[1_000..], &mut out[n..n + want - 1]),
        Err(ResampleError::OutputLen { expected: want, got: want - 1 })
    );
    n += r.push(&x[1_000..], &mut out[n..]).unwrap();
    n += r.flush(&mut out[n..]).unwrap();
    assert_eq!(n, offline.len());
    assert_eq!(bits(&out), bits(&offline));
}

/// Amplitude of the tone at `f` (cycles per sample) in the middle 60% of `y`: a Hann-weighted projection, whose
/// leakage from other frequencies is far below the levels checked here.
fn amplitude(y: &[f32], f: f64) -> f64 {
    let (a, b) = (y.len() / 5, y.len() - y.len() / 5);
    let n = (b - a) as f64;
    let (mut re, mut im, mut wsum) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in y[a..b].iter().enumerate() {
        let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n).cos();
        let phase = std::f64::consts::TAU * f * (a + i) as f64;
        re += w * f64::from(v) * phase.cos();
        im += w * f64::from(v) * phase.sin();
        wsum += w;
    }
    2.0 * re.hypot(im) / wsum
}

fn tone(f_hz: f64, sr: u32, n: usize) -> Vec<f32> {
    (0..n).map(|i| (0.5 * (std::f64::consts::TAU * f_hz * i as f64 / f64::from(sr)).sin()) as f32).collect()
}

/// The core guards its own filter (the full measurement, against soxr and scipy, is in
/// `pyext/tests/test_resample.py`): tones to 0.9 of the lower Nyquist frequency keep their amplitude within
/// 0.001 dB, and what lies beyond it (aliases when decimating, images when interpolating) is 95 dB down.
#[test]
fn passband_is_flat_and_the_stopband_95_db_down() {
    for (from, to) in [(44_100u32, 16_000u32), (48_000, 16_000), (8_000, 16_000), (16_000, 44_100)] {
        let plan = ResamplePlan::new(from, to).unwrap();
        let mut table = vec![0.0; plan.taps_len()];
        plan.fill_taps(&mut table).unwrap();
        let run = |f_hz: f64| stapes_core::resample::resample_with(&plan, &table, &tone(f_hz, from, from as usize / 2));
        let nyquist = f64::from(from.min(to)) / 2.0;
        for k in 1..=8 {
            let f = 0.9 * nyquist * f64::from(k) / 8.0;
            let gain = 20.0 * (amplitude(&run(f).unwrap(), f / f64::from(to)) / 0.5).log10();
            assert!(gain.abs() < 1e-3, "{from}→{to}: {f} Hz passes at {gain} dB");
        }
        for k in 0..8 {
            let worst = if from > to {
                // A tone between the two Nyquist frequencies, measured where it aliases to.
                let f = nyquist + (f64::from(from) / 2.0 - nyquist) * (f64::from(k) + 0.37) / 8.0;
                let alias = (f - (f / f64::from(to)).round() * f64::from(to)).abs();
                amplitude(&run(f).unwrap(), alias / f64::from(to))
            } else {
                // A tone below the input's Nyquist frequency, measured at its first image.
                let f = nyquist * (f64::from(k) + 0.37) / 8.0;
                amplitude(&run(f).unwrap(), (f64::from(from) - f) / f64::from(to))
            };
            let db = 20.0 * (worst / 0.5).log10();
            assert!(db < -95.0, "{from}→{to}: tone {k} leaks at {db} dB");
        }
    }
}
