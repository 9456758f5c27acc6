//! Streaming equals offline, bit for bit, for every chunking: the streaming pipeline (ring buffer, one frame at a
//! time in `f32`) and offline extraction (random access, eight frames per `F32x8`) share no framing code, so this
//! checks both, plus that the lanes really do the scalar operations.

use proptest::prelude::*;
use stapes_core::config::{Normalize, Padding, Scalars};
use stapes_core::{Config, Error, Pipeline, extract, preset};

/// Every preset in its streamable form (utterance normalisation off), scalars on.
fn streamable(name: &str) -> Config {
    let mut c = preset(name).unwrap();
    c.normalize = Normalize::None;
    c.scalars = Scalars::ALL;
    c
}

fn test_signal(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let noise = ((s >> 40) as f32 / 16_777_216.0) - 0.5;
            0.5 * (i as f32 * 0.031).sin() + 0.3 * noise
        })
        .collect()
}

/// Streams `x` in the given chunk sizes (cycled) and returns (features, scalars, frame numbers).
fn stream(config: &Config, x: &[f32], chunks: &[usize]) -> (Vec<f32>, Vec<f32>, Vec<u64>) {
    let mut p = Pipeline::new_owned(config).unwrap();
    let (mut feats, mut scalars, mut index) = (vec![], vec![], vec![]);
    let mut emit = |f: stapes_core::Frame<'_>| {
        feats.extend_from_slice(f.features);
        scalars.extend_from_slice(f.scalars);
        index.push(f.index);
    };
    let mut rest = x;
    for &c in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(c.min(rest.len()));
        p.push(chunk, &mut emit).unwrap();
        rest = tail;
    }
    p.flush(&mut emit);
    (feats, scalars, index)
}

fn assert_stream_equals_offline(config: &Config, x: &[f32], chunks: &[usize]) {
    let offline = extract(config, x).unwrap();
    let (feats, scalars, index) = stream(config, x, chunks);
    assert_eq!(index, (0..offline.n_frames as u64).collect::<Vec<_>>(), "frame numbers, chunks {chunks:?}");
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&feats), bits(&offline.data), "features differ, chunks {chunks:?}");
    assert_eq!(bits(&scalars), bits(&offline.scalars), "scalars differ, chunks {chunks:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_preset_streams_like_offline(
        preset_index in 0..stapes_core::preset::NAMES.len(),
        len in 0usize..9000,
        chunks in prop::collection::vec(1usize..3000, 1..6),
        seed in any::<u64>(),
        scalars in any::<bool>(),
    ) {
        let mut config = streamable(stapes_core::preset::NAMES[preset_index]);
        // Without time-domain scalars a stream windows straight from its ring buffer: a second code path.
        if !scalars {
            config.scalars = Scalars::default();
        }
        assert_stream_equals_offline(&config, &test_signal(len, seed), &chunks);
    }

    #[test]
    fn every_padding_streams_like_offline(
        padding in prop::sample::select(vec![Padding::None, Padding::Constant, Padding::Reflect, Padding::Edge]),
        // Include signals shorter than the padding (reflection then repeats, as numpy's does).
        len in 0usize..1500,
        chunks in prop::collection::vec(1usize..700, 1..5),
        seed in any::<u64>(),
    ) {
        let mut config = streamable("whisper-80");
        config.frames.padding = padding;
        config.frames.drop_last = padding != Padding::None;
        config.dither = 0.5;
        config.dither_seed = seed;
        assert_stream_equals_offline(&config, &test_signal(len, seed), &chunks);
    }

    /// Kaldi's unsnipped edges (kaldi-native-fbank's online fbank reflects the first frames at the start and the
    /// last ones at `input_finished`), with hops shorter than, half of and as long as the window, and signals
    /// shorter than a frame (mirrored again and again).
    #[test]
    fn kaldi_edges_stream_like_offline(
        preset_name in prop::sample::select(vec!["kaldi-fbank", "kaldi-mfcc"]),
        hop in prop::sample::select(vec![160u32, 100, 200, 400, 399]),
        len in 0usize..1500,
        chunks in prop::collection::vec(1usize..700, 1..5),
        seed in any::<u64>(),
        scalars in any::<bool>(),
    ) {
        let mut config = streamable(preset_name);
        config.frames.padding = Padding::Kaldi;
        config.frames.hop_length = hop;
        if !scalars {
            config.scalars = Scalars::default();
        }
        assert_stream_equals_offline(&config, &test_signal(len, seed), &chunks);
    }
}

#[test]
fn one_sample_at_a_time_and_reuse_after_flush() {
    let config = streamable("kaldi-mfcc");
    let x = test_signal(3000, 1);
    assert_stream_equals_offline(&config, &x, &[1]);
    // A flushed pipeline starts a new stream: the same input gives the same frames again.
    let mut p = Pipeline::new_owned(&config).unwrap();
    let mut first = vec![];
    p.push(&x, &mut |f| first.extend_from_slice(f.features)).unwrap();
    p.flush(&mut |f| first.extend_from_slice(f.features));
    let mut second = vec![];
    p.push(&x, &mut |f| second.extend_from_slice(f.features)).unwrap();
    p.flush(&mut |f| second.extend_from_slice(f.features));
    assert_eq!(first, second);
}

#[test]
fn whisper_frame_count_and_reflect_of_short_signals_follow_numpy() {
    let config = preset("whisper-80").unwrap();
    // N samples → N/160 frames (1 + N/160, minus the dropped last).
    for n in [1usize, 159, 160, 161, 16000] {
        assert_eq!(extract(&config, &test_signal(n, 2)).unwrap().n_frames, n / 160, "n = {n}");
    }
    assert_eq!(extract(&config, &[]).unwrap().n_frames, 0);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let config = streamable("yamnet");
    let x = test_signal(2000, 3);
    let mut p = Pipeline::new_owned(&config).unwrap();
    let mut got = vec![];
    p.push(&x[..1000], &mut |f| got.extend_from_slice(f.features)).unwrap();
    let mut bad = x[1000..1100].to_vec();
    bad[17] = f32::NAN;
    assert_eq!(p.push(&bad, &mut |_| panic!("no frame from a refused chunk")), Err(Error::NonFinite { index: 17 }));
    bad[17] = f32::INFINITY;
    assert!(p.push(&bad, &mut |_| {}).is_err());
    p.push(&x[1000..], &mut |f| got.extend_from_slice(f.features)).unwrap();
    p.flush(&mut |f| got.extend_from_slice(f.features));
    assert_eq!(got, extract(&config, &x).unwrap().data);

    let mut nan = x.clone();
    nan[1999] = f32::NEG_INFINITY;
    assert_eq!(extract(&config, &nan), Err(Error::NonFinite { index: 1999 }));
}

#[test]
fn utterance_presets_refuse_to_stream_and_small_storage_is_refused() {
    for name in ["whisper-80", "librosa-mel", "librosa-mfcc"] {
        assert_eq!(Pipeline::new_owned(&preset(name).unwrap()).err(), Some(Error::NotStreamable));
    }
    let config = preset("yamnet").unwrap();
    let need = Pipeline::<Vec<f32>>::storage_len(&config).unwrap();
    assert_eq!(
        Pipeline::new(&config, vec![0.0; need - 1]).err(),
        Some(Error::Storage { expected: need, got: need - 1 })
    );
    let mut small = [0.0f32; 16];
    assert!(matches!(Pipeline::new(&config, &mut small[..]), Err(Error::Storage { .. })));
}

/// `reconfigure` in the same storage gives exactly what a fresh pipeline gives, and a refused config (too big for
/// the storage, or not streamable) leaves the running pipeline untouched.
#[test]
fn reconfigure_in_place_equals_a_fresh_pipeline_and_refusals_change_nothing() {
    let (yamnet, kaldi) = (streamable("yamnet"), streamable("kaldi-mfcc"));
    let x = test_signal(4000, 3);
    let len =
        Pipeline::<Vec<f32>>::storage_len(&yamnet).unwrap().max(Pipeline::<Vec<f32>>::storage_len(&kaldi).unwrap());
    let mut p = Pipeline::new(&yamnet, vec![0.0; len]).unwrap();
    p.push(&x[..1000], &mut |_| {}).unwrap();
    p.reconfigure(&kaldi).unwrap();
    let collect = |p: &mut Pipeline<Vec<f32>>| {
        let mut out = vec![];
        p.push(&x, &mut |f| out.extend(f.features.iter().map(|v| v.to_bits()))).unwrap();
        out
    };
    let fresh = collect(&mut Pipeline::new_owned(&kaldi).unwrap());
    assert_eq!(collect(&mut p), fresh);

    let mut big = kaldi.clone();
    big.frames.n_fft = 4096;
    big.frames.win_length = 4096;
    assert!(matches!(p.reconfigure(&big), Err(Error::Storage { .. })));
    assert_eq!(p.reconfigure(&preset("whisper-80").unwrap()), Err(Error::NotStreamable));
    p.reset();
    assert_eq!(p.config(), &kaldi);
    assert_eq!(collect(&mut p), fresh);
}

/// `extract_into` in either layout holds the same values as `extract` (frame-major), for every preset as shipped
/// (utterance normalisation included), with scalars, on lengths that leave a partial batch of frames; outputs that
/// are too short are refused before anything is written.
#[test]
fn feature_major_output_is_the_transpose_and_short_outputs_are_refused() {
    use stapes_core::{Extractor, Layout};
    for name in stapes_core::preset::NAMES {
        let mut config = preset(name).unwrap();
        config.scalars = Scalars::ALL;
        let ex = Extractor::new(&config).unwrap();
        // A third of a second or a little more: three frames past whole batches of eight.
        let n = (config.sample_rate as usize / 3..).find(|&n| config.n_frames(n) % 8 == 3).unwrap();
        let x = test_signal(n, 5);
        let want = ex.extract(&x).unwrap();
        let (t, nf, ns) = (want.n_frames, want.n_features, want.n_scalars);
        let (mut f, mut s) = (vec![0.0; t * nf], vec![0.0; t * ns]);
        assert_eq!(ex.extract_into(&x, Layout::FeatureMajor, &mut f, &mut s), Ok(t));
        for frame in 0..t {
            for j in 0..nf {
                assert_eq!(f[j * t + frame].to_bits(), want.data[frame * nf + j].to_bits(), "{name} {frame} {j}");
            }
            for j in 0..ns {
                assert_eq!(s[j * t + frame].to_bits(), want.scalars[frame * ns + j].to_bits(), "{name} {frame} {j}");
            }
        }
        let mut short = vec![7.0; t * nf - 1];
        let refused = ex.extract_into(&x, Layout::FrameMajor, &mut short, &mut s);
        assert_eq!(refused, Err(Error::Storage { expected: t * nf, got: t * nf - 1 }), "{name}");
        assert!(short.iter().all(|&v| v == 7.0), "{name}: a refused call wrote");
    }
}

/// Offline extraction checks the signal a block at a time just ahead of framing: the error still names the first
/// bad sample wherever it is (first sample, block edges, samples no frame reads), for every framing.
#[test]
fn offline_names_the_first_non_finite_sample_anywhere() {
    let x = test_signal(30_011, 9);
    for name in stapes_core::preset::NAMES {
        let config = preset(name).unwrap();
        for (at, bad) in
            [(0, f32::NAN), (1, f32::INFINITY), (8191, f32::NAN), (8192, f32::NEG_INFINITY), (30_010, f32::NAN)]
        {
            let mut y = x.clone();
            y[at] = bad;
            y[(at + 9_000).min(30_010)] = f32::NAN;
            assert_eq!(extract(&config, &y), Err(Error::NonFinite { index: at }), "{name}: sample {at}");
        }
    }
}
