//! The capture path without a board: the node's PIO program ([`i2s_program::program`], the very one the firmware
//! loads) runs in a PIO emulator against microphone models timed from their datasheets (`tests/capture/`: pioemu
//! from PyPI, installed into `target/venv` by `cargo xtask install`), and what it pushes goes through
//! `stapes_node::i2s_to_f32` and the core as on the node.
//!
//! The models refuse what their datasheets refuse (a bit clock out of range, a frame that is not 64 bit clocks), so
//! the supported sample rates per microphone are tested here too.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use stapes_firmware::i2s_program::{self, Divider, SIDE_SET_BITS, WORD_BITS};
use stapes_node::i2s_to_f32;

/// The Pico 2's system clock under `embassy_rp::init(Default::default())` (embassy-rp 0.10 `ClockConfig::crystal`:
/// 12 MHz crystal, PLL to 150 MHz on the RP2350).
const SYS_HZ: u32 = 150_000_000;

/// The microphone families the README's wiring section names.
const MICS: [&str; 3] = ["inmp441", "ics43434", "sph0645"];

/// The venv's interpreter (`STAPES_PYTHON` overrides it).
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("STAPES_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/venv/bin/python")
}

/// One emulator run: `samples` (24-bit) from microphone `mic` at `rate` Hz frames; returns `words` pushed words, or
/// the model's timing error.
struct Job<'a> {
    mic: &'a str,
    rate: u32,
    select_right: bool,
    samples: &'a [i32],
    words: usize,
}

fn emulate(jobs: &[Job]) -> Vec<Result<Vec<u32>, String>> {
    let p = i2s_program::program();
    let request = json!({
        "program": {
            "code": p.code.as_slice(),
            "wrap_target": p.wrap.target,
            "wrap_source": p.wrap.source,
            "side_set_bits": SIDE_SET_BITS,
            "word_bits": WORD_BITS,
        },
        "sys_hz": SYS_HZ,
        "jobs": jobs.iter().map(|j| json!({
            "mic": j.mic,
            "select_right": j.select_right,
            "divider_bits": Divider::for_rate(SYS_HZ, j.rate).expect("a PIO divider for every supported rate").bits,
            "samples": j.samples,
            "words": j.words,
        })).collect::<Vec<_>>(),
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/capture/emulate.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{}: {e}: run `cargo xtask install` (it makes target/venv with pioemu)", python().display())
        });
    child.stdin.take().expect("piped").write_all(request.to_string().as_bytes()).expect("request written");
    let out = child.wait_with_output().expect("emulator ran");
    assert!(
        out.status.success(),
        "the PIO emulator failed (is rp2040-pio-emulator in target/venv? `cargo xtask install`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: Value = serde_json::from_slice(&out.stdout).expect("the emulator answers JSON");
    reply["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| match r.get("words") {
            Some(w) => Ok(w.as_array().expect("words").iter().map(|v| v.as_u64().expect("u32") as u32).collect()),
            None => Err(r["error"].as_str().unwrap_or("no error text").to_owned()),
        })
        .collect()
}

/// What the node makes of `words` after the first (pushed before the microphone saw its first frame start).
fn floats(words: &[u32]) -> Vec<f32> {
    assert_eq!(words[0], 0, "the microphone drives nothing before it has latched a frame start");
    let mut out = vec![0.0; words.len() - 1];
    assert_eq!(i2s_to_f32(&words[1..], 1.0, &mut out), out.len());
    out
}

/// A 24-bit sample as the part sends it (SPH0645: 18 bits of precision, zeros below) and as a float.
fn expected(mic: &str, sample: i32) -> f32 {
    let drop = if mic == "sph0645" { 6 } else { 0 };
    ((sample >> drop) << drop) as f32 / 8_388_608.0
}

/// Full scale both ways, ±1 LSB, zero, the values from the bug report, and a sine.
fn test_samples() -> Vec<i32> {
    let mut s = vec![0x7f_ffff, -0x80_0000, 1, -1, 0, 0x12_3456, -0x12_3456, 64, -64];
    s.extend((0..24).map(|n| {
        let x = (2.0 * core::f64::consts::PI * n as f64 / 24.0).sin();
        (x * 8_000_000.0) as i32
    }));
    s
}

#[test]
fn every_microphone_family_delivers_its_exact_samples_at_16_and_48_khz() {
    let samples = test_samples();
    let cases: Vec<(&str, u32)> = MICS.iter().flat_map(|&m| [(m, 16_000), (m, 48_000)]).collect();
    let jobs: Vec<Job> = cases
        .iter()
        .map(|&(mic, rate)| Job { mic, rate, select_right: false, samples: &samples, words: samples.len() + 1 })
        .collect();
    for ((mic, rate), result) in cases.iter().zip(emulate(&jobs)) {
        let words = result.unwrap_or_else(|e| panic!("{mic} at {rate} Hz: {e}"));
        let got = floats(&words);
        let want: Vec<f32> = samples.iter().map(|&s| expected(mic, s)).collect();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{mic} at {rate} Hz, sample {i} ({:#x}): word {:#010x} reads {g}, want {w}",
                samples[i],
                words[i + 1]
            );
        }
    }
}

#[test]
fn a_chirp_through_program_microphone_and_core_gives_the_cores_features_bit_for_bit() {
    let rate = 16_000;
    // 0.1 s from 100 Hz to 7 kHz at -1 dBFS: enough frames of the node's default preset to cover the spectrum.
    let n = 1_600;
    let chirp: Vec<i32> = (0..n)
        .map(|i| {
            let t = i as f64 / rate as f64;
            let (f0, f1, dur) = (100.0, 7_000.0, n as f64 / rate as f64);
            let phase = 2.0 * core::f64::consts::PI * (f0 * t + (f1 - f0) * t * t / (2.0 * dur));
            (phase.sin() * 0.89 * 8_388_607.0) as i32
        })
        .collect();
    let config = stapes_node::settings::defaults().config;
    let jobs: Vec<Job> =
        MICS.iter().map(|&mic| Job { mic, rate, select_right: false, samples: &chirp, words: n + 1 }).collect();
    for (mic, result) in MICS.iter().zip(emulate(&jobs)) {
        let captured = floats(&result.unwrap_or_else(|e| panic!("{mic}: {e}")));
        let original: Vec<f32> = chirp.iter().map(|&s| expected(mic, s)).collect();
        let a = stapes_core::extract(&config, &captured).expect("features of the captured chirp");
        let b = stapes_core::extract(&config, &original).expect("features of the original chirp");
        assert!(a.n_frames >= 5, "{mic}: {} frames", a.n_frames);
        let bits = |f: &stapes_core::Features| f.data.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "{mic}: features of the captured chirp differ from the core's");
    }
}

#[test]
fn a_microphone_with_select_high_answers_in_the_right_slot_which_the_node_does_not_read() {
    let samples = test_samples();
    let jobs: Vec<Job> = MICS
        .iter()
        .map(|&mic| Job { mic, rate: 16_000, select_right: true, samples: &samples, words: samples.len() + 1 })
        .collect();
    for (mic, result) in MICS.iter().zip(emulate(&jobs)) {
        let words = result.unwrap_or_else(|e| panic!("{mic}: {e}"));
        assert!(words.iter().all(|&w| w == 0), "{mic}: the left slot is tri-stated, read as 0 through the pull-down");
    }
}

/// Which frame rates each part takes at 64 bit clocks a frame, from the divider the node programs (the datasheets'
/// BCLK and frame ranges are in `tests/capture/microphones.py`).
#[test]
fn each_microphone_runs_at_the_rates_its_datasheet_allows_and_refuses_the_others() {
    let rates = [8_000, 11_025, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000];
    let supported = |mic: &str, rate: u32| match mic {
        "inmp441" => true,
        // Low-power mode 6.25–18.75 kHz, high-performance 23–51.6 kHz.
        "ics43434" => !(18_750..23_000).contains(&rate),
        // Rev C: BCLK 1.024–4.096 MHz.
        "sph0645" => rate >= 16_000,
        _ => unreachable!(),
    };
    let one = [0x40_0000];
    let cases: Vec<(&str, u32)> = MICS.iter().flat_map(|&m| rates.map(|r| (m, r))).collect();
    let jobs: Vec<Job> =
        cases.iter().map(|&(mic, rate)| Job { mic, rate, select_right: false, samples: &one, words: 3 }).collect();
    for ((mic, rate), result) in cases.iter().zip(emulate(&jobs)) {
        match result {
            Ok(words) => {
                assert!(supported(mic, *rate), "{mic} at {rate} Hz ran, but its datasheet refuses it");
                assert_eq!(floats(&words)[0], expected(mic, one[0]), "{mic} at {rate} Hz");
            }
            Err(e) => assert!(!supported(mic, *rate), "{mic} at {rate} Hz: {e}"),
        }
    }
}
