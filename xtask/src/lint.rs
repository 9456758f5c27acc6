//! rustfmt and clippy: the workspace on the host, plus the runner crates on their own targets (on the host their
//! MCU code is compiled out).

use crate::Result;
use crate::cmd::{self, Outcome, Steps, cargo};
use crate::m33;

/// `cargo fmt --all --check`.
pub(crate) fn fmt(steps: &mut Steps) -> Result {
    steps.run("fmt: cargo fmt --all --check", || {
        cmd::run(cargo().args(["fmt", "--all", "--check"]))?;
        Ok(Outcome::Done)
    })
}

/// `cargo clippy --workspace --all-targets -- -D warnings`, then the runners on wasm32 and Cortex-M33.
pub(crate) fn clippy(steps: &mut Steps) -> Result {
    steps.run("clippy: workspace (host)", || {
        cmd::run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
        Ok(Outcome::Done)
    })?;
    steps.run("clippy: runners and firmware (wasm32, thumbv8m)", || {
        let wasm = [
            "-p",
            "stapes-conformance",
            "-p",
            "stapes-conformance-wasm",
            "-p",
            "stapes-node",
            // The dashboard's views and WebUSB code exist only on wasm32.
            "-p",
            "stapes-web",
            "--target",
            "wasm32-unknown-unknown",
        ];
        cmd::run(cargo().arg("clippy").args(wasm).args(["--", "-D", "warnings"]))?;
        // The flasher's WebUSB transport and its JS bridge example exist only on wasm32.
        let flasher =
            ["-p", "stapes-flasher", "--features", "web", "--all-targets", "--target", "wasm32-unknown-unknown"];
        cmd::run(cargo().arg("clippy").args(flasher).args(["--", "-D", "warnings"]))?;
        let mcu =
            ["-p", "stapes-conformance", "-p", "stapes-conformance-m33", "-p", "stapes-node", "--target", m33::TARGET];
        cmd::run(cargo().arg("clippy").args(mcu).args(["--", "-D", "warnings"]))?;
        // On its own: the QEMU runners' critical-section implementation (cortex-m single-core) and embassy-rp's
        // (both cores) cannot be unified into one build.
        let firmware = ["-p", "stapes-firmware", "--target", m33::TARGET];
        cmd::run(cargo().arg("clippy").args(firmware).args(["--", "-D", "warnings"]))?;
        Ok(Outcome::Done)
    })
}
