//! `cargo xtask firmware`: the Pico 2 node firmware (`firmware/rp2350`, binary `stapes-node`) as a release ELF, a
//! UF2 for the RP2350 boot ROM and a manifest beside it; fails over the flash or static RAM budget.

use std::fs;
use std::ops::Range;
use std::path::Path;

use stapes_firmware::layout::{IMAGE_MAX, SETTINGS, XIP_BASE};
use stapes_flasher::uf2::{self, Uf2, family};

use crate::Result;
use crate::cmd::{self, Outcome, Steps, cargo, command, require_tools};
use crate::flags::FirmwareFlags;
use crate::{elf, install, m33};

/// The firmware crate and its binary.
const PACKAGE: &str = "stapes-firmware";
const BIN: &str = "stapes-node";
/// Issue 4's budgets: flash the image occupies, and RAM taken before the stack (`.data` + `.bss` + `.uninit`).
const FLASH_BUDGET: u64 = 256 * 1024;
const RAM_BUDGET: u64 = 128 * 1024;
/// RP2350 SRAM (SRAM0-9).
const RAM: Range<u32> = 0x2000_0000..0x2008_2000;

pub(crate) fn run(flags: &FirmwareFlags) -> Result {
    let mut steps = Steps::default();
    if flags.install {
        install::rust_targets(&mut steps)?;
    }
    build(&mut steps)?;
    steps.summary();
    Ok(())
}

/// Builds the ELF, writes `<target>/firmware/stapes-node.uf2` and `stapes-node.json`, prints the sizes.
pub(crate) fn build(steps: &mut Steps) -> Result {
    steps.run("firmware: stapes-node.uf2 for the Pico 2", || {
        require_tools(&["sha256sum"])?;
        cmd::run(
            cargo()
                .args(["build", "--profile", m33::PROFILE, "--target", m33::TARGET, "-p", PACKAGE])
                .args(["--bin", BIN]),
        )?;
        let elf_path = cmd::target_dir().join(m33::TARGET).join(m33::PROFILE).join(BIN);
        let elf = fs::read(&elf_path).map_err(|e| format!("{}: {e}", elf_path.display()))?;
        let segments = elf::load_segments(&elf)?;
        let image = elf::flash_image(&elf, &segments, XIP_BASE..XIP_BASE + IMAGE_MAX)?;
        let ram = elf::static_ram(&segments, RAM);
        // The boot ROM only looks for the IMAGE_DEF in the first 4 KiB (memory.x puts `.start_block` there).
        match elf::boot_block(&image) {
            Some(at) if at < 4096 => {}
            Some(at) => return Err(format!("the IMAGE_DEF block is at offset {at:#x}, past the first 4 KiB").into()),
            None => return Err("the image has no IMAGE_DEF block: the boot ROM would not start it".into()),
        }

        let uf2 = uf2::write(XIP_BASE, &image, family::RP2350_ARM_S)?;
        // What the dashboard's flasher will do with it: parse, validate, and never erase the settings.
        let erased = Uf2::parse(&uf2)?.erase_range();
        if erased.end > XIP_BASE + SETTINGS.start {
            return Err(format!("the UF2 erases up to {:#010x}, into the settings", erased.end).into());
        }
        let dir = cmd::target_dir().join("firmware");
        fs::create_dir_all(&dir)?;
        let uf2_path = dir.join(format!("{BIN}.uf2"));
        fs::write(&uf2_path, &uf2)?;
        let sha256 = sha256(&uf2_path)?;
        let git_hash = git_hash();
        let manifest = format!(
            "{{\n  \"name\": \"{BIN}\",\n  \"version\": \"{}\",\n  \"git_hash\": \"{git_hash}\",\n  \
             \"board\": \"pico2\",\n  \"family_id\": \"{:#010x}\",\n  \"file\": \"{BIN}.uf2\",\n  \
             \"size\": {},\n  \"sha256\": \"{sha256}\",\n  \"flash_used\": {},\n  \"ram_static\": {}\n}}\n",
            workspace_version()?,
            family::RP2350_ARM_S,
            uf2.len(),
            image.len(),
            ram,
        );
        fs::write(dir.join(format!("{BIN}.json")), manifest)?;

        let kib = |n: u64| format!("{:.1} KiB", n as f64 / 1024.0);
        println!("\n{BIN} ({}, profile `{}`)", m33::TARGET, m33::PROFILE);
        println!("  flash used:  {:>10} of {} budget", kib(image.len() as u64), kib(FLASH_BUDGET));
        println!("  static RAM:  {:>10} of {} budget (.data + .bss + .uninit)", kib(ram), kib(RAM_BUDGET));
        println!(
            "  UF2:         {} ({} bytes, sha256 {sha256})",
            uf2_path.strip_prefix(cmd::project_root()).unwrap_or(&uf2_path).display(),
            uf2.len()
        );
        let mut over = Vec::new();
        if image.len() as u64 > FLASH_BUDGET {
            over.push(format!("flash {} > {}", kib(image.len() as u64), kib(FLASH_BUDGET)));
        }
        if ram > RAM_BUDGET {
            over.push(format!("static RAM {} > {}", kib(ram), kib(RAM_BUDGET)));
        }
        if !over.is_empty() {
            return Err(format!("firmware over budget: {}", over.join(", ")).into());
        }
        Ok(Outcome::Done)
    })
}

/// SHA-256 of `path` in hex (coreutils `sha256sum`).
fn sha256(path: &Path) -> Result<String> {
    let out = cmd::read(command("sha256sum").arg(path))?;
    match out.split_whitespace().next() {
        Some(hex) if hex.len() == 64 => Ok(hex.to_owned()),
        _ => Err(format!("unexpected sha256sum output: {out}").into()),
    }
}

/// The commit being built, as the firmware's build script reads it (`unknown` outside a git checkout).
fn git_hash() -> String {
    match command("git").args(["rev-parse", "--short=12", "HEAD"]).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// `version` of `[workspace.package]` in the root Cargo.toml (the firmware's version).
fn workspace_version() -> Result<String> {
    let manifest = fs::read_to_string(cmd::project_root().join("Cargo.toml"))?;
    let section = manifest.split("[workspace.package]").nth(1).ok_or("Cargo.toml has no [workspace.package]")?;
    section
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| {
            l.strip_prefix("version")?.trim_start().strip_prefix('=')?.trim().strip_prefix('"')?.strip_suffix('"')
        })
        .map(str::to_owned)
        .ok_or_else(|| "no version in [workspace.package] of Cargo.toml".into())
}
