//! The real FFT against rustfft in f64, at every supported length, plus the lane, scratch and error contracts.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use stapes_core::fft::{FftError, FftPlan, RealFft};
use stapes_core::lane::{Batch, F32x8, Lane};

/// Relative error bound: max |ours − reference| over max |reference|.
const TOLERANCE: f64 = 2e-6;

/// Every supported length, ascending.
fn lengths() -> Vec<usize> {
    let mut out = Vec::new();
    for n in FftPlan::MIN_LEN..=FftPlan::MAX_LEN {
        let mut m = n;
        for p in [2, 3, 5] {
            while m % p == 0 {
                m /= p;
            }
        }
        if m == 1 {
            out.push(n);
        }
    }
    out
}

/// xorshift64 mapped to [-1, 1): reproducible without a rand dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn signal(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn ours(fft: &RealFft, input: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let bins = fft.plan().bins();
    let (mut re, mut im) = (vec![0.0; bins], vec![0.0; bins]);
    fft.forward(input, &mut re, &mut im, &mut fft.make_scratch()).unwrap();
    (re, im)
}

/// Worst error relative to the largest bin, against a complex f64 FFT of the same (f32) samples.
fn error_ratio(planner: &mut FftPlanner<f64>, input: &[f32], re: &[f32], im: &[f32]) -> f64 {
    let mut reference: Vec<Complex<f64>> = input.iter().map(|&x| Complex::new(f64::from(x), 0.0)).collect();
    planner.plan_fft_forward(input.len()).process(&mut reference);
    let scale = reference.iter().map(|c| c.norm()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let worst = (re.iter().zip(im))
        .zip(&reference)
        .map(|((&r, &i), c)| (Complex::new(f64::from(r), f64::from(i)) - c).norm())
        .fold(0.0, f64::max);
    worst / scale
}

#[test]
fn random_signals_match_rustfft_at_every_length() {
    let mut planner = FftPlanner::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut worst = (0.0, 0);
    for n in lengths() {
        let fft = RealFft::new(n).unwrap();
        for _ in 0..3 {
            let input = rng.signal(n);
            let (re, im) = ours(&fft, &input);
            assert_eq!(im[0].to_bits(), 0, "n={n}: im[0]");
            if n % 2 == 0 {
                assert_eq!(im[n / 2].to_bits(), 0, "n={n}: im[n/2]");
            }
            let ratio = error_ratio(&mut planner, &input, &re, &im);
            assert!(ratio <= TOLERANCE, "n={n}: error ratio {ratio:e}");
            if ratio > worst.0 {
                worst = (ratio, n);
            }
        }
    }
    println!("worst error ratio {:e} at n={}", worst.0, worst.1);
}

#[test]
fn delta_dc_and_exact_bin_sine() {
    let mut planner = FftPlanner::new();
    for n in [16, 27, 45, 400, 512, 3375, 4096] {
        let fft = RealFft::new(n).unwrap();
        let bin = n / 5;
        let signals: [Vec<f32>; 4] = [
            (0..n).map(|i| f32::from(i == 0)).collect(),
            (0..n).map(|i| f32::from(i == 3)).collect(),
            vec![0.75; n],
            (0..n).map(|i| (2.0 * std::f64::consts::PI * (bin * i) as f64 / n as f64).sin() as f32).collect(),
        ];
        for (s, input) in signals.iter().enumerate() {
            let (re, im) = ours(&fft, input);
            let ratio = error_ratio(&mut planner, input, &re, &im);
            assert!(ratio <= TOLERANCE, "n={n} signal {s}: error ratio {ratio:e}");
        }
        // The delta at 0 is flat and DC lands in bin 0 only; both exactly.
        let (re, im) = ours(&fft, &signals[0]);
        assert!(re.iter().all(|&v| v == 1.0) && im.iter().all(|&v| v == 0.0), "n={n}: delta");
        let (re, im) = ours(&fft, &signals[2]);
        assert!((f64::from(re[0]) - 0.75 * n as f64).abs() <= 1e-4 * n as f64, "n={n}: dc");
        let leak = re[1..].iter().chain(&im).fold(0.0f32, |a, v| a.max(v.abs()));
        assert!(leak <= 1e-5 * n as f32, "n={n}: dc leaks {leak}");
        let (re, im) = ours(&fft, &signals[3]);
        assert!((f64::from(im[bin]) + n as f64 / 2.0).abs() <= 1e-4 * n as f64, "n={n}: sine bin");
        assert!(re[bin].abs() <= 1e-4 * n as f32, "n={n}: sine bin re");
    }
}

#[test]
fn eight_lanes_are_eight_scalar_frames() {
    let mut rng = Rng(42);
    for n in lengths().into_iter().step_by(7).chain([16, 400, 512, 4096]) {
        let fft = RealFft::new(n).unwrap();
        let bins = fft.plan().bins();
        let frames: Vec<Vec<f32>> = (0..8).map(|_| rng.signal(n)).collect();
        let input: Vec<F32x8> = (0..n).map(|i| F32x8::from_array(std::array::from_fn(|l| frames[l][i]))).collect();
        let (mut re, mut im) = (vec![F32x8::splat(0.0); bins], vec![F32x8::splat(0.0); bins]);
        fft.forward(&input, &mut re, &mut im, &mut fft.make_scratch()).unwrap();
        for (lane, frame) in frames.iter().enumerate() {
            let (sr, si) = ours(&fft, frame);
            for k in 0..bins {
                assert_eq!(re[k].lane(lane).to_bits(), sr[k].to_bits(), "n={n} lane {lane} bin {k} re");
                assert_eq!(im[k].lane(lane).to_bits(), si[k].to_bits(), "n={n} lane {lane} bin {k} im");
            }
        }
    }
}

#[test]
fn dirty_scratch_changes_nothing() {
    let mut rng = Rng(7);
    for n in [16, 27, 48, 375, 400, 512, 3375, 4096] {
        let fft = RealFft::new(n).unwrap();
        let input = rng.signal(n);
        let clean = ours(&fft, &input);
        let bins = fft.plan().bins();
        for garbage in [f32::NAN, 1e30, -f32::INFINITY] {
            // Longer than needed too: extra scratch is allowed and ignored.
            let mut scratch = vec![garbage; fft.plan().scratch_len() + 5];
            let (mut re, mut im) = (vec![garbage; bins], vec![garbage; bins]);
            fft.forward(&input, &mut re, &mut im, &mut scratch).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!((bits(&re), bits(&im)), (bits(&clean.0), bits(&clean.1)), "n={n} garbage {garbage}");
        }
    }
}

#[test]
fn unsupported_lengths() {
    for n in [0, 1, 8, 15, 17, 98, 4097, 8192, 14 * 7, 11 * 16] {
        assert_eq!(FftPlan::try_new(n), Err(FftError::UnsupportedLength(n)));
    }
    assert_eq!(lengths().len(), lengths().iter().filter(|&&n| FftPlan::try_new(n).is_ok()).count());
}

#[test]
fn wrong_buffer_lengths() {
    for n in [16, 45, 512] {
        let plan = FftPlan::try_new(n).unwrap();
        let (t, b, s) = (plan.table_len(), plan.bins(), plan.scratch_len());
        let mut table = vec![0.0; t];
        assert_eq!(plan.fill_table(&mut table[1..]), Err(FftError::TableLen { expected: t, got: t - 1 }));
        assert_eq!(plan.fill_table(&mut vec![0.0; t + 1]), Err(FftError::TableLen { expected: t, got: t + 1 }));
        plan.fill_table(&mut table).unwrap();

        let run = |table: &[f32], input: usize, re: usize, im: usize, scratch: usize| {
            let (mut re, mut im, mut scratch) = (vec![0.0f32; re], vec![0.0; im], vec![0.0; scratch]);
            plan.forward(table, &vec![0.0; input], &mut re, &mut im, &mut scratch)
        };
        assert_eq!(run(&table, n, b, b, s), Ok(()));
        assert_eq!(run(&table[1..], n, b, b, s), Err(FftError::TableLen { expected: t, got: t - 1 }));
        assert_eq!(run(&table, n - 1, b, b, s), Err(FftError::InputLen { expected: n, got: n - 1 }));
        assert_eq!(run(&table, n + 1, b, b, s), Err(FftError::InputLen { expected: n, got: n + 1 }));
        assert_eq!(run(&table, n, b + 1, b, s), Err(FftError::OutputLen { expected: b, got: b + 1 }));
        assert_eq!(run(&table, n, b, b - 1, s), Err(FftError::OutputLen { expected: b, got: b - 1 }));
        assert_eq!(run(&table, n, b, b, s - 1), Err(FftError::ScratchLen { expected: s, got: s - 1 }));
        assert_eq!(run(&table, n, b, b, 0), Err(FftError::ScratchLen { expected: s, got: 0 }));
    }
}
