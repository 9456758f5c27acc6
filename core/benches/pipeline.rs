//! Offline (batch) cost of every preset, per frame, on 10 s of audio; and the bare batch FFT for the same frames,
//! the anchor the log-mel pipeline is measured against. Per hour of audio = per-frame time × frames per hour
//! (criterion's throughput is in frames).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stapes_core::fft::RealFft;
use stapes_core::{Extractor, Layout, preset};

fn signal(n: usize) -> Vec<f32> {
    let mut s = 1u32;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            0.4 * (i as f32 * 0.05).sin() + 0.2 * ((s >> 8) as f32 / 16_777_216.0 - 0.5)
        })
        .collect()
}

/// Each preset through `Extractor::extract_into` with caller-owned output (frame-major), so that the time is
/// the DSP's and not the allocator's: a fresh multi-megabyte `Vec` costs page faults on its first touch.
fn presets(c: &mut Criterion) {
    let mut g = c.benchmark_group("preset_10s");
    for name in stapes_core::preset::NAMES {
        let config = preset(name).unwrap();
        let x = signal(config.sample_rate as usize * 10);
        let extractor = Extractor::new(&config).unwrap();
        let n_frames = config.n_frames(x.len());
        let mut features = vec![0.0; n_frames * config.n_features()];
        g.throughput(Throughput::Elements(n_frames as u64));
        g.bench_function(name, |b| {
            b.iter(|| extractor.extract_into(black_box(&x), Layout::FrameMajor, &mut features, &mut []).unwrap())
        });
    }
    g.finish();
}

/// The bare FFT the yamnet/vggish/kaldi presets run (512 points), in batches of eight frames as offline
/// extraction runs it (the widest lanes the CPU has): the same frame count as `preset_10s/yamnet`, so the two
/// per-frame times compare directly.
fn bare_fft(c: &mut Criterion) {
    const BATCHES: usize = 64;
    let fft = RealFft::new(512).unwrap();
    let input: Vec<[f32; 8]> = signal(512).into_iter().map(|x| [x; 8]).collect();
    let (mut re, mut im) = (vec![[0.0; 8]; 257], vec![[0.0; 8]; 257]);
    let mut g = c.benchmark_group("bare_fft_512_batch");
    g.throughput(Throughput::Elements(8 * BATCHES as u64));
    g.bench_function("512", |b| b.iter(|| fft.forward_batches(black_box(&input), &mut re, &mut im, BATCHES).unwrap()));
    g.finish();
}

criterion_group!(pipeline, presets, bare_fft);
criterion_main!(pipeline);
