//! `cargo xtask conformance`: every preset hashed on host, wasm32, wasm32+simd128, Cortex-M33 (QEMU) and aarch64
//! Linux (QEMU user mode); fails unless all targets report the same presets with the same hashes. Each run also
//! lands in `target/conformance/<target>.txt` (`name=hash` lines).

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::cmd::{self, Outcome, Steps, cargo, command, require_tools};
use crate::flags::{ConformanceFlags, Target};
use crate::{aarch64, install, m33};

/// The hashes of one target, in report order.
type Hashes = Vec<(String, u64)>;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub(crate) fn run(flags: &ConformanceFlags) -> Result {
    let mut steps = Steps::default();
    if flags.install {
        install::rust_targets(&mut steps)?;
        install::system_packages(&mut steps)?;
    }
    check(&mut steps, &flags.targets)?;
    steps.summary();
    Ok(())
}

/// Runs `targets` (one step each) and compares their hashes (one more step).
pub(crate) fn check(steps: &mut Steps, targets: &[Target]) -> Result {
    let mut results: Vec<(Target, Hashes)> = Vec::new();
    for &target in targets {
        steps.run(&format!("conformance: {}", target.name()), || {
            let text = match target {
                Target::Host => host()?,
                Target::Wasm32 => wasm(false)?,
                Target::Wasm32Simd128 => wasm(true)?,
                Target::M33 => mcu()?,
                Target::Aarch64 => arm64()?,
            };
            let hashes = parse(&text).map_err(|e| format!("{} output: {e}", target.name()))?;
            let file = out_dir().join(format!("{}.txt", target.name()));
            fs::write(&file, render(&hashes)).map_err(|e| format!("write {}: {e}", file.display()))?;
            results.push((target, hashes));
            Ok(Outcome::Done)
        })?;
    }
    steps.run("conformance: compare", || compare(&results))
}

fn out_dir() -> PathBuf {
    let dir = cmd::target_dir().join("conformance");
    let _ = fs::create_dir_all(&dir);
    dir
}

/// The `#[test]` in conformance/tests/host.rs, which writes the file read here. A release build, so that the
/// hashes come from the code servers run: offline extraction in AVX2 lanes where the CPU has them, compiled as
/// one inlined function (core's unit tests check the debug build and the SSE lanes against the same bits).
fn host() -> Result<String> {
    let file = out_dir().join("host.txt");
    let _ = fs::remove_file(&file);
    cmd::run(
        cargo()
            .args(["test", "--release", "-p", "stapes-conformance", "--test", "host", "--", "--nocapture"])
            .env("STAPES_CONFORMANCE_OUT", &file),
    )?;
    fs::read_to_string(&file).map_err(|e| format!("the host test wrote no {}: {e}", file.display()).into())
}

/// The cdylib of conformance/wasm, run by conformance/wasm/run.mjs under Node. The `+simd128` build goes to its
/// own target directory (so the two builds do not rebuild each other) and adds the flag through `--config`, which
/// appends to any rustflags of `.cargo/config.toml` where `RUSTFLAGS` would replace them.
fn wasm(simd128: bool) -> Result<String> {
    require_tools(&["node"])?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "stapes-conformance-wasm", "--target", WASM_TARGET]);
    let dir = if simd128 {
        let dir = cmd::target_dir().join("simd128");
        build.arg("--target-dir").arg(&dir);
        build.args(["--config", &format!(r#"target.{WASM_TARGET}.rustflags=["-Ctarget-feature=+simd128"]"#)]);
        dir
    } else {
        cmd::target_dir()
    };
    cmd::run(&mut build)?;
    let module = dir.join(WASM_TARGET).join("release/stapes_conformance_wasm.wasm");
    check_simd128(&module, simd128)?;
    let text = cmd::read(command("node").arg("conformance/wasm/run.mjs").arg(&module))?;
    print!("{text}");
    Ok(text)
}

/// The linker's `target_features` section lists `+simd128` exactly when the flag reached the build.
fn check_simd128(module: &Path, expected: bool) -> Result {
    let bytes = fs::read(module).map_err(|e| format!("read {}: {e}", module.display()))?;
    let marker = b"\x2b\x07simd128"; // "+", length 7, "simd128"
    let found = bytes.windows(marker.len()).any(|w| w == marker);
    if found != expected {
        let state = if found { "enabled" } else { "missing" };
        let hint = "check RUSTFLAGS/CARGO_ENCODED_RUSTFLAGS, which replace the --config flags, and the wasm32 \
                    rustflags of .cargo/config.toml, which must not enable simd128 for both builds";
        return Err(format!("simd128 is {state} in {} ({hint})", module.display()).into());
    }
    Ok(())
}

/// The m33-conformance binary under QEMU; its output must end with the `# end` line.
fn mcu() -> Result<String> {
    let dir = m33::build()?;
    let out = m33::qemu(&dir.join("m33-conformance"), &[])?;
    if !out.stdout.lines().any(|l| l.starts_with("# end")) {
        return Err("the M33 run ended without its `# end` line".into());
    }
    Ok(out.stdout)
}

/// The host test of conformance/tests/host.rs, cross-built for aarch64 Linux (release, as on the host) and run
/// under `qemu-aarch64`: NEON lanes, whose bits must be the array lanes'. First the core's own tests run there in a
/// release build (among them the lanes' bit-for-bit tests of NEON against the array lanes), and the code of both
/// builds is checked for fused multiply-adds, which the bit tests cannot always see: an `fmla` in a term that is
/// small or exact changes no bit of their inputs.
fn arm64() -> Result<String> {
    let core_tests = aarch64::build_tests("stapes-core", &["--lib"])?;
    println!("{}: {}", core_tests.display(), aarch64::check_no_fma(&core_tests)?);
    cmd::run(&mut aarch64::qemu(&[], &core_tests))?;
    let host_test = aarch64::build_tests("stapes-conformance", &["--test", "host"])?;
    println!("{}: {}", host_test.display(), aarch64::check_no_fma(&host_test)?);
    let file = out_dir().join("aarch64.txt");
    let _ = fs::remove_file(&file);
    cmd::run(aarch64::qemu(&[], &host_test).arg("--nocapture").env("STAPES_CONFORMANCE_OUT", &file))?;
    fs::read_to_string(&file).map_err(|e| format!("the aarch64 host test wrote no {}: {e}", file.display()).into())
}

/// Parses `name=hash` lines (hash in hex); blank and `#` lines are comments.
fn parse(text: &str) -> Result<Hashes> {
    let mut hashes: Hashes = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (name, hash) = line.split_once('=').ok_or_else(|| format!("not a `name=hash` line: {line:?}"))?;
        let hash = u64::from_str_radix(hash, 16).map_err(|_| format!("not a hex hash: {line:?}"))?;
        if hashes.iter().any(|(n, _)| n == name) {
            return Err(format!("preset {name:?} reported twice").into());
        }
        hashes.push((name.to_owned(), hash));
    }
    if hashes.is_empty() {
        return Err("no preset reported".into());
    }
    Ok(hashes)
}

fn render(hashes: &Hashes) -> String {
    hashes.iter().map(|(name, hash)| format!("{name}={hash:016x}\n")).collect()
}

/// Prints the preset × target table; fails on any missing or differing hash.
fn compare(results: &[(Target, Hashes)]) -> Result<Outcome> {
    let mut names: Vec<&str> = Vec::new();
    for (_, hashes) in results {
        for (name, _) in hashes {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0).max("preset".len());
    let mut table = format!("{:<width$}", "preset");
    for (target, _) in results {
        table += &format!("  {:<16}", target.name());
    }
    table += "\n";
    let mut bad = Vec::new();
    for name in &names {
        table += &format!("{name:<width$}");
        let cells: Vec<Option<u64>> =
            results.iter().map(|(_, hashes)| hashes.iter().find(|(n, _)| n == name).map(|&(_, h)| h)).collect();
        for cell in &cells {
            table += &match cell {
                Some(hash) => format!("  {hash:016x}"),
                None => format!("  {:<16}", "(missing)"),
            };
        }
        let agree = cells.iter().all(|c| c.is_some() && *c == cells[0]);
        table += if agree { "  ok\n" } else { "  MISMATCH\n" };
        if !agree {
            bad.push(*name);
        }
    }
    for line in table.lines() {
        println!("{}", line.trim_end());
    }
    if bad.is_empty() {
        println!("{} presets agree on {} targets", names.len(), results.len());
        Ok(Outcome::Done)
    } else {
        Err(format!("{} of {} presets differ or are missing: {}", bad.len(), names.len(), bad.join(", ")).into())
    }
}
