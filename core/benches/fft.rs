//! Real FFT time per frame: ours one frame at a time (`f32`), ours eight frames at a time (`F32x8`: SSE on x86_64),
//! ours in batches as offline extraction runs it (the widest lanes the CPU has: AVX2 here, if present), and realfft.
//!
//! Every group reports throughput in frames, so criterion's "elements/s" compare directly across the three.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use realfft::RealFftPlanner;
use realfft::num_complex::Complex;
use stapes_core::fft::RealFft;
use stapes_core::lane::{F32x8, Lane};

fn signal(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect()
}

fn ours<T: Lane>(c: &mut Criterion, group: &str, n: usize) {
    let fft = RealFft::new(n).unwrap();
    let input: Vec<T> = signal(n).into_iter().map(T::splat).collect();
    let (mut re, mut im) = (vec![T::splat(0.0); fft.plan().bins()], vec![T::splat(0.0); fft.plan().bins()]);
    let mut scratch = fft.make_scratch::<T>();
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(T::WIDTH as u64));
    g.bench_function(n.to_string(), |b| {
        b.iter(|| fft.forward(black_box(&input), &mut re, &mut im, &mut scratch).unwrap())
    });
    g.finish();
}

/// Batches of eight frames through `RealFft::forward_batches` (64 per call, so the call's setup is amortised).
fn ours_batch(c: &mut Criterion, n: usize) {
    const BATCHES: usize = 64;
    let fft = RealFft::new(n).unwrap();
    let input: Vec<[f32; 8]> = signal(n).into_iter().map(|x| [x; 8]).collect();
    let (mut re, mut im) = (vec![[0.0; 8]; fft.plan().bins()], vec![[0.0; 8]; fft.plan().bins()]);
    let mut g = c.benchmark_group("ours_batch");
    g.throughput(Throughput::Elements(8 * BATCHES as u64));
    g.bench_function(n.to_string(), |b| {
        b.iter(|| fft.forward_batches(black_box(&input), &mut re, &mut im, BATCHES).unwrap())
    });
    g.finish();
}

fn realfft(c: &mut Criterion, n: usize) {
    let r2c = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let input = signal(n);
    let mut output = vec![Complex::new(0.0, 0.0); n / 2 + 1];
    let mut scratch = r2c.make_scratch_vec();
    let mut g = c.benchmark_group("realfft");
    g.throughput(Throughput::Elements(1));
    g.bench_function(n.to_string(), |b| {
        // realfft uses its input as scratch: each run gets a fresh copy, made outside the timing.
        b.iter_batched_ref(
            || input.clone(),
            |input| r2c.process_with_scratch(input, &mut output, &mut scratch).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    for n in [256, 400, 512, 1024] {
        ours::<f32>(c, "ours_f32", n);
        ours::<F32x8>(c, "ours_f32x8", n);
        ours_batch(c, n);
        realfft(c, n);
    }
}

criterion_group!(fft, benches);
criterion_main!(fft);
