//! The `web` step of `cargo xtask test`: the dashboard's release build (and its size budget), its logic under
//! `wasm-bindgen-test`, and the Playwright end-to-end test (`web/tests/e2e.mjs`) in headless Chromium against the
//! built `target/dist` and the simulated node, and the page's real-USB path against a `navigator.usb` as strict as
//! Chromium's (`web/tests/webusb.mjs`). Screenshots go to `target/web-e2e/`. Then the parity recording the
//! e2e test saved is checked against the Python wheel (`web/tests/check_wheel.py`, in `target/venv`). The firmware
//! panel has its own Playwright test (`web/tests/update.mjs`) against the fake RP2350 bootrom, and that fake is
//! checked against the Rust flasher (`flasher/js/check-fake.mjs`).

use crate::Result;
use crate::cmd::{self, Outcome, Steps, cargo, command};
use crate::{dashboard, install};

/// Runs one Playwright script against the built dist; screenshots go to `target/web-e2e/`.
fn playwright(steps: &mut Steps, title: &str, script: &str) -> Result {
    steps.run(title, || {
        cmd::require_tools(&["node", "chromium"])?;
        let shots = cmd::project_root().join("target/web-e2e");
        cmd::run(
            command("node")
                .arg(script)
                .arg(dashboard::dist_dir())
                .arg(&shots)
                .env("PLAYWRIGHT_CORE", install::playwright_core_dir()),
        )?;
        println!("screenshots: {}", shots.display());
        Ok(Outcome::Done)
    })
}

/// Every web check.
pub(crate) fn check(steps: &mut Steps) -> Result {
    dashboard::build(steps)?;
    steps.run("web: wasm-bindgen-test (stapes-web on wasm32)", || {
        cmd::require_tools(&["wasm-bindgen-test-runner"])?;
        // No RUSTFLAGS: it would replace the `--cfg=web_sys_unstable_apis` of .cargo/config.toml.
        cmd::run(
            cargo().args(["test", "-p", "stapes-web", "--target", "wasm32-unknown-unknown"]).env_remove("RUSTFLAGS"),
        )?;
        Ok(Outcome::Done)
    })?;
    playwright(steps, "web: Playwright end to end (headless Chromium, simulated node)", "web/tests/e2e.mjs")?;
    playwright(
        steps,
        "web: Playwright real-USB path (headless Chromium, a navigator.usb as strict as Chromium's)",
        "web/tests/webusb.mjs",
    )?;
    playwright(
        steps,
        "web: Playwright firmware update (headless Chromium, fake PICOBOOT bootrom)",
        "web/tests/update.mjs",
    )?;
    steps.run("web: fake PICOBOOT bootrom vs the Rust flasher (Node)", || {
        // The JS fake the browser tests rely on must behave like the Rust one: the real flasher, compiled to
        // wasm, runs the same fault scenarios against it.
        let bridge = ["-p", "stapes-flasher", "--example", "js_bridge", "--target", "wasm32-unknown-unknown"];
        cmd::run(cargo().arg("build").args(bridge).arg("--release").env_remove("RUSTFLAGS"))?;
        let wasm = cmd::target_dir().join("wasm32-unknown-unknown/release/examples/js_bridge.wasm");
        cmd::run(command("node").arg("flasher/js/check-fake.mjs").arg(wasm))?;
        Ok(Outcome::Done)
    })?;
    steps.run("web: parity recording vs the Python wheel", || {
        if !cmd::succeeds(command(install::venv_python()).args(["-c", "import stapes"])) {
            return Ok(Outcome::Skipped("the wheel is not in target/venv (the python step installs it)".to_owned()));
        }
        cmd::run(command(install::venv_python()).arg("web/tests/check_wheel.py").arg("target/web-e2e"))?;
        Ok(Outcome::Done)
    })
}
