//! `cargo xtask aarch64-count`: instructions of ten minutes of `yamnet` offline extraction on aarch64, in each lane
//! type the core runs there (the array lanes, NEON), counted by the QEMU plugin `tools/qemu/count.c` in user mode.
//! The extractions are the core test `offline::tests::ten_minutes_of_yamnet_in_each_lane_type`, which brackets
//! each with the plugin's marker system call. Printed, never asserted.

use crate::Result;
use crate::cmd::{self, Outcome, Steps, require_tools};
use crate::flags::BenchFlags;
use crate::{aarch64, bench, install};

/// The marker system call of the core test (its `COUNT_MARKER`): a number Linux does not implement.
const COUNT_MARKER: u64 = 0x5354_4150;
const TEST: &str = "offline::tests::ten_minutes_of_yamnet_in_each_lane_type";

pub(crate) fn run(flags: &BenchFlags) -> Result {
    let mut steps = Steps::default();
    if flags.install {
        install::rust_targets(&mut steps)?;
        install::system_packages(&mut steps)?;
    }
    measure(&mut steps)?;
    steps.summary();
    Ok(())
}

/// Builds the core's tests (release) and the plugin, runs the counting test under QEMU and prints the report.
pub(crate) fn measure(steps: &mut Steps) -> Result {
    steps.run("aarch64-count: 10 minutes of yamnet per lane type", || {
        require_tools(&["gcc"])?;
        let exe = aarch64::build_tests("stapes-core", &["--lib"])?;
        let plugin = bench::build_plugin()?;
        let options = ["-plugin".to_owned(), format!("{},syscall={COUNT_MARKER}", plugin.display())];
        let mut counted = aarch64::qemu(&options, &exe);
        // One test thread: the plugin's counter is shared by all threads, and only the test's may run.
        counted.args(["--ignored", "--exact", TEST, "--nocapture", "--test-threads=1"]);
        println!("$ {}", cmd::display(&counted));
        let out = counted.output().map_err(|e| format!("could not start qemu-aarch64: {e}"))?;
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return Err(format!("{} failed ({}):\n{stdout}\n{stderr}", cmd::display(&counted), out.status).into());
        }
        let windows: Vec<u64> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("stapes-count: window "))
            .filter_map(|l| l.split(": ").nth(1)?.strip_suffix(" instructions")?.parse().ok())
            .collect();
        // "stapes-count: lanes Baseline: 59998 frames", one line per lane type, in the windows' order.
        let lanes: Vec<(String, u64)> = stdout
            .lines()
            .filter_map(|l| l.split_once("stapes-count: lanes ")?.1.split_once(": "))
            .filter_map(|(name, rest)| Some((name.to_owned(), rest.strip_suffix(" frames")?.parse().ok()?)))
            .collect();
        let Some((&empty, counted)) = windows.split_first() else {
            return Err(format!("the plugin reported no window:\n{stderr}").into());
        };
        if counted.len() != lanes.len() || lanes.is_empty() {
            return Err(format!("{} windows for lane types {lanes:?}:\n{stdout}\n{stderr}", counted.len()).into());
        }
        println!("\naarch64 ({}, release, QEMU user mode): 10 minutes of yamnet, offline", aarch64::TARGET);
        for ((name, frames), window) in lanes.iter().zip(counted) {
            let n = window - empty;
            println!("  {name:<10} {n:>13} instructions, {frames} frames: {:.0} per frame", n as f64 / *frames as f64);
        }
        println!("  ({empty} instructions of marker overhead subtracted from each)");
        Ok(Outcome::Done)
    })
}
