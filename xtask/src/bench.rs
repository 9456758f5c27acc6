//! `cargo xtask m33-bench`: instructions executed by one `stapes_conformance::yamnet_frame` call (one streaming
//! `yamnet` hop) on Cortex-M33, counted by the QEMU plugin `tools/qemu/count.c`, plus section sizes and the stack
//! and heap the call used. Printed, never asserted.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::cmd::{self, Outcome, Steps, command, require_tools};
use crate::flags::BenchFlags;
use crate::{install, m33};

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

/// Builds the bench binary and the plugin, runs it under QEMU and prints the report.
pub(crate) fn measure(steps: &mut Steps) -> Result {
    steps.run("m33-bench: yamnet_frame on Cortex-M33", || {
        require_tools(&["gcc", "arm-none-eabi-nm", "arm-none-eabi-size"])?;
        let dir = m33::build()?;
        let plugin = build_plugin()?;
        let elf = dir.join("m33-bench");

        let symbols = cmd::read(command("arm-none-eabi-nm").args(["-S", "-C"]).arg(&elf))?;
        let start = symbol(&symbols, "stapes_bench_start")?.0;
        let stop = symbol(&symbols, "stapes_bench_stop")?.0;
        let code = symbol(&symbols, "stapes_conformance::yamnet_frame").ok().map(|(_, size)| size);

        let arg = format!("{},start={start:#x},stop={stop:#x}", plugin.display());
        let out = m33::qemu(&elf, &["-plugin".to_owned(), arg])?;
        let windows: Vec<u64> = out
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("stapes-count: window "))
            .filter_map(|l| l.split(": ").nth(1)?.strip_suffix(" instructions")?.parse().ok())
            .collect();
        let &[empty, first, counted, fft] = windows.as_slice() else {
            return Err(format!("expected 4 counting windows from the plugin, got {windows:?}").into());
        };
        let reported = |key: &str| {
            let prefix = format!("# {key}: ");
            out.stdout.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or("(not reported)").to_owned()
        };
        let bins = ["m33-bench", "m33-conformance"];
        let sizes = bins.iter().map(|bin| sizes(&dir.join(bin))).collect::<Result<Vec<_>>>()?;

        println!("\nCortex-M33 ({}, profile `{}`, QEMU mps2-an505)", m33::TARGET, m33::PROFILE);
        println!("  yamnet_frame: {} instructions per call (one 160-sample hop)", counted - empty);
        println!(
            "    (first call {}; {empty} instructions of marker overhead subtracted)",
            first.saturating_sub(empty)
        );
        println!("  of which the bare 512-point real FFT: {} instructions (microfft's rfft_512: 21,533)", fft - empty);
        if let Some(code) = code {
            println!("  yamnet_frame code: {code} bytes (its own symbol, callees not included)");
        }
        println!("  stack used by the call: {}", reported("yamnet_frame stack"));
        println!("  heap allocated by the call: {}", reported("yamnet_frame heap"));
        println!("  yamnet pipeline state: {}", reported("yamnet pipeline state"));
        for (bin, (text, data, bss)) in bins.iter().zip(sizes) {
            println!("  {bin:<15} .text {text:>7}  .data {data:>6}  .bss {bss:>7} bytes");
        }
        println!("  (arm-none-eabi-size: .text includes vectors and .rodata; the 1 MiB stack is not in .bss)");
        // Instruction counts are deterministic, so the budget is a check, not a flaky timing.
        if counted - empty > YAMNET_FRAME_BUDGET {
            return Err(format!(
                "yamnet_frame takes {} instructions, over the Cortex-M33 budget of {YAMNET_FRAME_BUDGET}",
                counted - empty
            )
            .into());
        }
        Ok(Outcome::Done)
    })
}

/// Instructions one streaming yamnet frame may take on the Cortex-M33 (512-point FFT, 64 mels, log).
const YAMNET_FRAME_BUDGET: u64 = 30_000;

/// `gcc -O2 -shared -fPIC -o target/qemu/libcount.so tools/qemu/count.c`, unless up to date.
pub(crate) fn build_plugin() -> Result<PathBuf> {
    let source = cmd::project_root().join("tools/qemu/count.c");
    let dir = cmd::target_dir().join("qemu");
    let plugin = dir.join("libcount.so");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&plugin).is_some_and(|built| modified(&source).is_some_and(|src| built >= src)) {
        return Ok(plugin);
    }
    fs::create_dir_all(&dir)?;
    cmd::run(command("gcc").args(["-O2", "-Wall", "-shared", "-fPIC", "-o"]).arg(&plugin).arg(&source))?;
    Ok(plugin)
}

/// Address and size of the first symbol called `name` in `nm -S -C` output (`name` may omit a `::h…` hash).
fn symbol(nm: &str, name: &str) -> Result<(u64, u64)> {
    nm.lines()
        .find_map(|line| {
            let mut words = line.splitn(4, ' ');
            let (address, size, _kind, symbol) = (words.next()?, words.next()?, words.next()?, words.next()?);
            let matches = symbol == name || symbol.strip_prefix(name).is_some_and(|rest| rest.starts_with("::h"));
            matches.then(|| Some((u64::from_str_radix(address, 16).ok()?, u64::from_str_radix(size, 16).ok()?)))?
        })
        .ok_or_else(|| format!("symbol `{name}` not found by arm-none-eabi-nm").into())
}

/// `.text`, `.data` and `.bss` of an ELF (Berkeley format of arm-none-eabi-size).
fn sizes(elf: &Path) -> Result<(u64, u64, u64)> {
    let out = cmd::read(command("arm-none-eabi-size").arg(elf))?;
    let numbers: Vec<u64> =
        out.lines().nth(1).unwrap_or("").split_whitespace().take(3).filter_map(|w| w.parse().ok()).collect();
    match numbers[..] {
        [text, data, bss] => Ok((text, data, bss)),
        _ => Err(format!("unexpected arm-none-eabi-size output: {out:?}").into()),
    }
}
