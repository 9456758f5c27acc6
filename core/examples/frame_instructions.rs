//! One offline extraction, or the bare batch FFT for the same frames, on a fixed signal: the program
//! `bench/instructions.py` runs under callgrind at two signal lengths to count instructions per frame (set-up costs
//! cancel in the difference). Counts do not vary between runs, unlike wall time on a shared machine.
//!
//! `frame_instructions <preset | logmel-512-160-64 | fft-N> <seconds of 16 kHz audio>`

use std::hint::black_box;
use std::mem::MaybeUninit;

use stapes_core::fft::RealFft;
use stapes_core::{Config, Extractor, Layout, Scratch, preset};

/// A tone plus noise from a fixed LCG: every run sees the same samples.
fn signal(n: usize) -> Vec<f32> {
    let mut s = 1u32;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            0.4 * (i as f32 * 0.05).sin() + 0.2 * ((s >> 8) as f32 / 16_777_216.0 - 0.5)
        })
        .collect()
}

/// bench.py's 512/160/64 log-mel: librosa's conventions (Slaney mel, dB, top_db 80) at 16 kHz.
fn logmel() -> Config {
    let mut config = preset("librosa-mel").expect("a preset");
    config.sample_rate = 16_000;
    (config.frames.n_fft, config.frames.win_length, config.frames.hop_length) = (512, 512, 160);
    let mel = config.mel.as_mut().expect("librosa-mel has a mel bank");
    (mel.n_mels, mel.fmax) = (64, 8000.0);
    config
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(what), Some(seconds)) = (args.next(), args.next()) else {
        return Err("usage: frame_instructions <preset | logmel-512-160-64 | fft-N> <seconds>".into());
    };
    let samples = 16_000 * seconds.parse::<usize>()?;
    if let Some(n) = what.strip_prefix("fft-") {
        // As many batches of eight as a 160-sample hop gives frames.
        let (n, batches) = (n.parse::<usize>()?, samples / 160 / 8);
        let fft = RealFft::new(n)?;
        let input: Vec<[f32; 8]> = signal(n).into_iter().map(|x| [x; 8]).collect();
        let (mut re, mut im) = (vec![[0.0; 8]; n / 2 + 1], vec![[0.0; 8]; n / 2 + 1]);
        fft.forward_batches(black_box(&input), &mut re, &mut im, batches)?;
        println!("frames {}", 8 * batches);
        return Ok(());
    }
    let config = if what == "logmel-512-160-64" { logmel() } else { preset(&what).ok_or("unknown preset")? };
    let x = signal(samples);
    let extractor = Extractor::new(&config)?;
    let n_frames = config.n_frames(x.len());
    let mut features = vec![MaybeUninit::uninit(); n_frames * config.n_features()];
    let mut scratch = Scratch::default();
    extractor.extract_into_uninit(black_box(&x), Layout::FeatureMajor, &mut features, &mut [], &mut scratch)?;
    black_box(&features);
    println!("frames {n_frames}");
    Ok(())
}
