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
    let listing = cmd::read(command("aarch64-linux-gnu-objdump").args(["-d", "-C", "--no-show-raw-insn"]).arg(exe))?;
    let scan = scan(&listing);
    if !scan.fused.is_empty() {
        let shown: Vec<&str> = scan.fused.iter().take(10).map(String::as_str).collect();
        return Err(format!(
            "{} fused multiply-add instruction(s) in the stapes code of {} (they change the bits):\n  {}",
            scan.fused.len(),
            exe.display(),
            shown.join("\n  ")
        )
        .into());
    }
    if scan.vector_ops == 0 {
        return Err(format!(
            "no NEON float arithmetic in the {} stapes functions of {}",
            scan.functions,
            exe.display()
        )
        .into());
    }
    Ok(format!(
        "{} stapes functions, {} NEON float additions/products, no fused multiply-add",
        scan.functions, scan.vector_ops
    ))
}

/// What [`scan`] found in the functions of the stapes crates.
#[derive(Debug, Default)]
struct Scan {
    functions: usize,
    /// `fadd`/`fsub`/`fmul`/`fdiv` on four lanes.
    vector_ops: usize,
    /// `function: address mnemonic operands` of each fused multiply-add.
    fused: Vec<String>,
}

/// Reads `objdump -d -C --no-show-raw-insn` output: `address <function>:` headers, then `  address:\tmnemonic\toperands`.
fn scan(listing: &str) -> Scan {
    let mut scan = Scan::default();
    let mut function = "";
    for line in listing.lines() {
        if let Some((_, name)) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")) {
            function = name;
            scan.functions += usize::from(function.contains("stapes_"));
            continue;
        }
        if !function.contains("stapes_") {
            continue;
        }
        let mut fields = line.trim_start().splitn(3, '\t');
        let (Some(address), Some(mnemonic)) = (fields.next().and_then(|a| a.strip_suffix(':')), fields.next()) else {
            continue;
        };
        let operands = fields.next().unwrap_or("");
        if is_fused(mnemonic) {
            scan.fused.push(format!("{function}: {address} {mnemonic} {operands}"));
        } else if ["fadd", "fsub", "fmul", "fdiv"].contains(&mnemonic) && operands.contains(".4s") {
            scan.vector_ops += 1;
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "\
0000000000021b4c <stapes_core::log::ln_clamped>:
   21b4c:\tfmul\tv1.4s, v2.4s, v3.4s
   21b50:\tfadd\tv1.4s, v1.4s, v4.4s
   21b54:\tret

0000000000030000 <core::fmt::write>:
   30000:\tfmadd\ts0, s1, s2, s3
";

    #[test]
    fn a_fused_multiply_add_in_stapes_code_is_found_and_elsewhere_ignored() {
        let clean = scan(LISTING);
        assert_eq!((clean.functions, clean.vector_ops, clean.fused.len()), (1, 2, 0));
        let fused = LISTING.replace("fadd\tv1.4s, v1.4s, v4.4s", "fmla\tv1.4s, v2.4s, v3.4s");
        let fused = scan(&fused);
        assert_eq!(fused.fused, ["stapes_core::log::ln_clamped: 21b50 fmla v1.4s, v2.4s, v3.4s"]);
        for scalar in ["fmadd\ts0, s1, s2, s3", "fnmsub\td0, d1, d2, d3", "fmlal\tv0.4s, v1.4h, v2.4h"] {
            let listing = LISTING.replace("ret", scalar);
            assert_eq!(scan(&listing).fused.len(), 1, "{scalar}");
        }
    }
}
