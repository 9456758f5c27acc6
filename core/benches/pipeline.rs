//! Offline (batch) cost of every preset, per frame, on 10 s of audio; and the bare batch FFT for the same frames,
//! the anchor the log-mel pipeline is measured against. Per hour of audio = per-frame time × frames per hour
//! (criterion's throughput is in frames).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stapes_core::fft::RealFft;
use stapes_core::lane::{F32x8, Lane};
use stapes_core::{Extractor, preset};

fn signal(n: usize) -> Vec<f32> {
    let mut s = 1u32;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            0.4 * (i as f32 * 0.05).sin() + 0.2 * ((s >> 8) as f32 / 16_777_216.0 - 0.5)
        })
        .collect()
}

fn presets(c: &mut Criterion) {
    let mut g = c.benchmark_group("preset_10s");
    for name in stapes_core::preset::NAMES {
        let config = preset(name).unwrap();
        let x = signal(config.sample_rate as usize * 10);
        let extractor = Extractor::new(&config).unwrap();
        g.throughput(Throughput::Elements(config.n_frames(x.len()) as u64));
        g.bench_function(name, |b| b.iter(|| extractor.extract(black_box(&x)).unwrap()));
    }
    g.finish();
}

/// The bare FFT the yamnet/vggish/kaldi presets run (512 points), eight frames per call: the same frame count
/// as `preset_10s/yamnet`, so the two per-frame times compare directly.
fn bare_fft(c: &mut Criterion) {
    let fft = RealFft::new(512).unwrap();
    let input: Vec<F32x8> = signal(512).into_iter().map(F32x8::splat).collect();
    let (mut re, mut im) = (vec![F32x8::splat(0.0); 257], vec![F32x8::splat(0.0); 257]);
    let mut scratch = fft.make_scratch::<F32x8>();
    let mut g = c.benchmark_group("bare_fft_512_batch");
    g.throughput(Throughput::Elements(8));
    g.bench_function("512", |b| b.iter(|| fft.forward(black_box(&input), &mut re, &mut im, &mut scratch).unwrap()));
    g.finish();
}

criterion_group!(pipeline, presets, bare_fft);
criterion_main!(pipeline);
