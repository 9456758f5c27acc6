//! Which lane type offline extraction runs in: measured once per process, as FFTW's planner measures its
//! candidates, because the widest is not always the fastest (on the first Zen generation 256-bit AVX2 executes as
//! two 128-bit halves and its lane-crossing shuffles are slow, so the SSE pair wins).
//!
//! Every lane type gives the same bits (`offline::tests::dispatched_lanes_equal_baseline_lanes`), so the choice
//! changes only speed. At the first extraction of a process, a short batch of real work — the `yamnet` preset's
//! pipeline on [`PROBE_FRAMES`] frames — runs in every lane type the CPU has, [`ROUNDS`] times in turn after one
//! warm-up each, and the lane type with the lowest minimum time per frame is kept for the rest of the process.
//! [`ENV`] (`STAPES_LANES=baseline|avx2|avx512|neon`) or [`pin`] choose without measuring, for benchmarks and for
//! people who want no start-up measurement. [`lane_choice`] reports what was chosen, how, and the timings.

use std::string::{String, ToString};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};
use std::vec::Vec;

use super::Lanes;

/// The environment variable that pins the lane type for the process, read at the first extraction.
pub const ENV: &str = "STAPES_LANES";
/// Frames of the measurement's batch (eight batches of eight).
pub const PROBE_FRAMES: usize = 64;
/// Timed runs per lane type, after one untimed warm-up.
pub const ROUNDS: usize = 5;

/// How the process's lane type was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// The CPU has one lane type: nothing to choose.
    Only,
    /// The fastest in the measurement.
    Measured,
    /// Named by the [`ENV`] environment variable.
    PinnedByEnv,
    /// Named through [`pin`].
    Pinned,
}

impl How {
    /// A word for reports: `only`, `measured`, `env` or `pinned`.
    pub fn name(self) -> &'static str {
        match self {
            How::Only => "only",
            How::Measured => "measured",
            How::PinnedByEnv => "env",
            How::Pinned => "pinned",
        }
    }
}

/// One lane type's measured speed.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneTiming {
    /// The lane type ([`available`] names).
    pub lanes: &'static str,
    /// Its best time per frame over the rounds, ns.
    pub ns_per_frame: f64,
}

/// The process's lane type and how it was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneChoice {
    /// The lane type extraction runs in.
    pub lanes: &'static str,
    /// How it was chosen.
    pub how: How,
    /// Every available lane type's timing, when measured (else empty).
    pub timings: Vec<LaneTiming>,
    /// How long the measurement took, building the probe included (zero when nothing was measured).
    pub measured_in: Duration,
    /// Why [`ENV`] was not followed, when it was set to something this CPU cannot run.
    pub note: Option<String>,
}

/// A lane type that does not exist or that this CPU cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLanes {
    /// What was asked for.
    pub requested: String,
    /// What this CPU runs.
    pub available: Vec<&'static str>,
}

impl core::fmt::Display for UnknownLanes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "no lane type {:?} on this CPU; it runs {}", self.requested, self.available.join(", "))
    }
}

impl std::error::Error for UnknownLanes {}

/// The lane types this CPU runs, narrowest first.
pub fn available() -> Vec<&'static str> {
    Lanes::available().map(Lanes::name).collect()
}

/// The process's lane type, chosen now if it was not yet (measuring, unless pinned).
pub fn lane_choice() -> LaneChoice {
    chosen();
    lock().clone().expect("`chosen` decided")
}

/// Pins the lane type for the rest of the process (`Some(name)`), or forgets the choice and measures again
/// (`None`). Extractions running meanwhile finish in the lanes they started in.
pub fn pin(name: Option<&str>) -> Result<LaneChoice, UnknownLanes> {
    let choice = match name {
        Some(name) => pinned(find(name)?, How::Pinned, None),
        None => measured(None),
    };
    set(choice.clone());
    Ok(choice)
}

/// The lane type to dispatch to: one atomic load once decided.
pub(crate) fn chosen() -> Lanes {
    if let Some(lanes) = decode(CHOSEN.load(Ordering::Acquire)) {
        return lanes;
    }
    let mut held = lock();
    if let Some(choice) = held.as_ref() {
        return find(choice.lanes).unwrap_or(Lanes::Baseline);
    }
    let choice = from_env(std::env::var(ENV).ok().as_deref());
    let lanes = find(choice.lanes).unwrap_or(Lanes::Baseline);
    CHOSEN.store(encode(lanes), Ordering::Release);
    *held = Some(choice);
    lanes
}

/// 0 while undecided, else 1 + the chosen lane type's position in [`Lanes::available`].
static CHOSEN: AtomicU8 = AtomicU8::new(0);
/// The whole choice, for reports.
static CHOICE: Mutex<Option<LaneChoice>> = Mutex::new(None);

fn lock() -> std::sync::MutexGuard<'static, Option<LaneChoice>> {
    // A panic while holding it cannot leave a half-made choice: it is replaced whole.
    CHOICE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn set(choice: LaneChoice) {
    let mut held = lock();
    CHOSEN.store(encode(find(choice.lanes).unwrap_or(Lanes::Baseline)), Ordering::Release);
    *held = Some(choice);
}

fn encode(lanes: Lanes) -> u8 {
    Lanes::available().position(|l| l == lanes).map_or(1, |i| i as u8 + 1)
}

fn decode(id: u8) -> Option<Lanes> {
    (id > 0).then(|| Lanes::available().nth(usize::from(id) - 1)).flatten()
}

fn find(name: &str) -> Result<Lanes, UnknownLanes> {
    Lanes::available()
        .find(|l| l.name().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| UnknownLanes { requested: name.to_string(), available: available() })
}

fn pinned(lanes: Lanes, how: How, note: Option<String>) -> LaneChoice {
    LaneChoice { lanes: lanes.name(), how, timings: Vec::new(), measured_in: Duration::ZERO, note }
}

/// The choice [`ENV`]'s value asks for: pinned when it names an available lane type, else measured (with a note
/// when it was set to something else).
fn from_env(value: Option<&str>) -> LaneChoice {
    match value.filter(|v| !v.trim().is_empty()) {
        None => measured(None),
        Some(v) => match find(v) {
            Ok(lanes) => pinned(lanes, How::PinnedByEnv, None),
            Err(e) => measured(Some(format!("{ENV}={v} ignored: {e}"))),
        },
    }
}

/// Measures every available lane type (unless there is only one) and keeps the fastest.
fn measured(note: Option<String>) -> LaneChoice {
    let all: Vec<Lanes> = Lanes::available().collect();
    if all.len() == 1 {
        // Also where no clock exists (wasm32-unknown-unknown's `Instant::now` panics): nothing to time.
        return pinned(all[0], How::Only, note);
    }
    let start = Instant::now();
    let best = probe::best_times(&all);
    let lanes = fastest(&best);
    let timings = best
        .iter()
        .map(|&(l, t)| LaneTiming { lanes: l.name(), ns_per_frame: t.as_nanos() as f64 / PROBE_FRAMES as f64 })
        .collect();
    LaneChoice { lanes: lanes.name(), how: How::Measured, timings, measured_in: start.elapsed(), note }
}

/// The lane type with the lowest time; on a tie the wider (later) one, the choice made before measuring existed.
fn fastest(times: &[(Lanes, Duration)]) -> Lanes {
    times.iter().rev().min_by_key(|&&(_, t)| t).map_or(Lanes::Baseline, |&(l, _)| l)
}

mod probe {
    use std::time::{Duration, Instant};
    use std::vec::Vec;

    use super::{Lanes, PROBE_FRAMES, ROUNDS};
    use crate::offline::{Extractor, Scratch, probe_extract};

    /// Each lane type's best time for the probe batch, runs interleaved round by round so that a noisy moment
    /// slows every lane type alike.
    pub(super) fn best_times(all: &[Lanes]) -> Vec<(Lanes, Duration)> {
        let config = crate::preset("yamnet").expect("yamnet is a preset");
        let ex = Extractor::new(&config).expect("a preset builds");
        let (win, hop) = (config.frames.win_length as usize, config.frames.hop_length as usize);
        let signal: Vec<f32> =
            (0..win + (PROBE_FRAMES - 1) * hop).map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3).collect();
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        let mut run = |lanes: Lanes| {
            let t = Instant::now();
            probe_extract(&ex, &signal, lanes, &mut out, &mut scratch);
            t.elapsed()
        };
        let mut best: Vec<(Lanes, Duration)> = all.iter().map(|&l| (l, Duration::MAX)).collect();
        for &lanes in all {
            run(lanes);
        }
        for _ in 0..ROUNDS {
            for (lanes, t) in best.iter_mut() {
                *t = (*t).min(run(*lanes));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slower_lane_type_is_not_chosen_and_a_tie_keeps_the_wider() {
        let all: Vec<Lanes> = Lanes::available().collect();
        let ms = Duration::from_millis;
        // Whatever the CPU has: make each lane type in turn the fast one.
        for fast in 0..all.len() {
            let times: Vec<(Lanes, Duration)> =
                all.iter().enumerate().map(|(i, &l)| (l, if i == fast { ms(10) } else { ms(14) })).collect();
            assert_eq!(fastest(&times), all[fast]);
        }
        let tie: Vec<(Lanes, Duration)> = all.iter().map(|&l| (l, ms(10))).collect();
        assert_eq!(fastest(&tie), *all.last().expect("baseline at least"));
    }

    #[test]
    fn the_environment_pins_a_lane_type_this_cpu_runs_and_notes_one_it_does_not() {
        let c = from_env(Some(" Baseline "));
        assert_eq!((c.lanes, c.how, c.note), ("baseline", How::PinnedByEnv, None));
        let c = from_env(Some("avx1024"));
        assert_ne!(c.how, How::PinnedByEnv);
        let note = c.note.expect("a note says why the variable was not followed");
        assert!(note.contains("STAPES_LANES=avx1024") && note.contains("baseline"), "{note}");
        assert_eq!(from_env(Some("")).note, None);
    }

    #[test]
    fn pinning_chooses_and_unpinning_measures_every_lane_type() {
        let err = pin(Some("sse4")).expect_err("no such lane type");
        assert_eq!(err.available, available());
        let c = pin(Some("baseline")).expect("every CPU runs the baseline lanes");
        assert_eq!((c.lanes, c.how), ("baseline", How::Pinned));
        assert_eq!(lane_choice(), c);
        assert_eq!(chosen(), Lanes::Baseline);
        let c = pin(None).expect("measuring cannot fail");
        if available().len() > 1 {
            assert_eq!(c.how, How::Measured);
            let names: Vec<&str> = c.timings.iter().map(|t| t.lanes).collect();
            assert_eq!(names, available());
            assert!(c.timings.iter().all(|t| t.ns_per_frame > 0.0));
            let best = c.timings.iter().min_by(|a, b| a.ns_per_frame.total_cmp(&b.ns_per_frame)).expect("timed");
            assert_eq!(c.timings.iter().find(|t| t.lanes == c.lanes).map(|t| t.ns_per_frame), Some(best.ns_per_frame));
        } else {
            assert_eq!(c.how, How::Only);
        }
        assert_eq!(chosen().name(), c.lanes);
    }
}
