//! Which presets the node's fixed pipeline storage runs (their streamable forms, at their own sample rates), with
//! the storage each needs. `cargo test -p stapes-node --test capacity -- --nocapture` prints the table.

use stapes_core::config::Normalize;
use stapes_core::{Pipeline, preset};
use stapes_node::settings::{Refusal, check, defaults};
use stapes_node::{Memory, PIPELINE_CAPACITY};

#[test]
fn every_preset_but_librosa_at_22k_fits_and_the_node_says_so() {
    for name in stapes_core::preset::NAMES {
        let mut s = defaults();
        s.config = preset(name).unwrap();
        s.config.normalize = Normalize::None;
        let need = Pipeline::<Vec<f32>>::storage_len(&s.config).unwrap();
        println!("{name:>13}: {need:>6} f32 at {} Hz (capacity {PIPELINE_CAPACITY})", s.config.sample_rate);
        let fits = need <= PIPELINE_CAPACITY;
        assert_eq!(fits, !name.starts_with("librosa"), "{name}");
        match check(&s) {
            Ok(()) => assert!(fits),
            Err(Refusal::Storage(n)) => assert_eq!((n, fits), (need, false)),
            Err(other) => panic!("{name}: {other}"),
        }
        // librosa's conventions at 16 kHz with a 1024-point FFT fit.
        if name.starts_with("librosa") {
            s.config.sample_rate = 16_000;
            s.config.frames.n_fft = 1024;
            s.config.frames.win_length = 1024;
            s.config.frames.hop_length = 256;
            s.config.mel.as_mut().unwrap().fmax = 8000.0;
            check(&s).unwrap();
        }
    }
    println!("Memory: {} bytes", size_of::<Memory>());
}
