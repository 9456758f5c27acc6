//! aarch64 Linux under QEMU user mode: cross-building test executables (Debian's `aarch64-linux-gnu-gcc` links
//! them), running them with `qemu-aarch64`, and checking their code for fused multiply-adds.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::cmd::{self, cargo, command, require_tools};

/// The Rust target (Linux on 64-bit Arm: Graviton, the Raspberry Pi 5; Apple Silicon runs the same instructions).
pub(crate) const TARGET: &str = "aarch64-unknown-linux-gnu";
/// Debian's aarch64 sysroot (`libc6-dev-arm64-cross`): the dynamic loader and libc QEMU runs the programs with.
const SYSROOT: &str = "/usr/aarch64-linux-gnu";
/// The cross linker, the disassembler and the emulator (apt: gcc-aarch64-linux-gnu, qemu-user).
const TOOLS: [&str; 3] = ["aarch64-linux-gnu-gcc", "aarch64-linux-gnu-objdump", "qemu-aarch64"];

/// `cargo test --release --no-run` for aarch64 of `package`, `what` selecting one test target (`--lib`,
/// `--test NAME`); returns its executable. Release, so that the checked and counted code is what users run.
pub(crate) fn build_tests(package: &str, what: &[&str]) -> Result<PathBuf> {
    require_tools(&TOOLS)?;
    let mut build = cargo();
    build
        .args(["test", "--release", "--no-run", "--message-format=json", "--target", TARGET, "-p", package])
        .args(what)
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "aarch64-linux-gnu-gcc");
    let json = cmd::read(&mut build)?;
    // One JSON object per line; only the test executable's artifact has a non-null `"executable"`.
    let executables: Vec<&str> = json
        .lines()
        .filter_map(|line| line.split_once(r#""executable":""#))
        .filter_map(|(_, rest)| rest.split('"').next())
        .collect();
    match executables[..] {
        [exe] => Ok(PathBuf::from(exe)),
        _ => Err(format!("expected one test executable from `cargo test --no-run`, got {executables:?}").into()),
    }
}

/// `qemu-aarch64` with QEMU's `options` running `exe` against Debian's aarch64 libc; add the program's arguments.
pub(crate) fn qemu(options: &[String], exe: &Path) -> Command {
    let mut qemu = command("qemu-aarch64");
    qemu.args(options).args(["-L", SYSROOT]).arg(exe);
    qemu
}

/// Instructions that round once where the core's `a + b · c` rounds twice (NEON `fmla`/`fmls` from `vfmaq_f32`
/// and `vmlaq_f32`, the scalar `fmadd` family, the half- and bfloat-widening forms).
fn is_fused(mnemonic: &str) -> bool {
    matches!(mnemonic, "fmla" | "fmls" | "fmadd" | "fmsub" | "fnmadd" | "fnmsub")
        || ["fmlal", "fmlsl", "bfmla"].iter().any(|p| mnemonic.starts_with(p))
}

/// Fails if any function of the stapes crates in `exe` holds a fused multiply-add; returns a one-line summary.
/// Also fails when those functions hold no NEON float arithmetic at all: then the check looked at the wrong code.
pub(crate) fn check_no_fma(exe: &Path) -> Result<String> {
    let listing = cmd::read(command("aarch64-linux-gnu-objdump").args(["-d", "-C", "--no-show-raw-insn"]).arg(exe))
        .map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())?;
    let (mut function, mut functions, mut vector_ops) = (String::new(), 0usize, 0usize);
    let mut fused: Vec<String> = Vec::new();
    for line in &listing {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, name)| name) {
            function = name.to_owned();
            functions += usize::from(function.contains("stapes_"));
            continue;
        }
        if !function.contains("stapes_") {
            continue;
        }
        // `   address:\tmnemonic\toperands`
        let mut fields = line.trim_start().splitn(3, '\t');
        let (Some(address), Some(mnemonic)) = (fields.next(), fields.next()) else { continue };
        if !address.ends_with(':') {
            continue;
        }
        let operands = fields.next().unwrap_or("");
        if is_fused(mnemonic) {
            fused.push(format!("{function}: {} {mnemonic} {operands}", address.trim_end_matches(':')));
        } else if ["fadd", "fsub", "fmul", "fdiv"].contains(&mnemonic) && operands.contains(".4s") {
            vector_ops += 1;
        }
    }
    if !fused.is_empty() {
        let shown: Vec<&str> = fused.iter().take(10).map(String::as_str).collect();
        return Err(format!(
            "{} fused multiply-add instruction(s) in the stapes code of {} (they change the bits):\n  {}",
            fused.len(),
            exe.display(),
            shown.join("\n  ")
        )
        .into());
    }
    if vector_ops == 0 {
        return Err(format!("no NEON float arithmetic in the {functions} stapes functions of {}", exe.display()).into());
    }
    Ok(format!("{functions} stapes functions, {vector_ops} NEON float additions/products, no fused multiply-add"))
}
