//! `cargo xtask dashboard`: installs the web tools, builds the page with trunk (release) and serves it on
//! http://127.0.0.1:8080, where it opens on the simulated node. `--build-only` stops after the build (tests, CI).
//! The page bundles the node firmware (`cargo xtask firmware`'s UF2 and manifest, built first when missing).

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::Result;
use crate::cmd::{self, Outcome, Steps, cargo, command};
use crate::flags::DashboardFlags;
use crate::{firmware, install};

/// Where trunk writes the page (`[build] dist` of Trunk.toml).
pub(crate) fn dist_dir() -> PathBuf {
    cmd::project_root().join("target/dist")
}

/// Budget of the gzipped release wasm (issue 5).
const WASM_GZIP_BUDGET: u64 = 400 * 1024;

pub(crate) fn run(flags: &DashboardFlags) -> Result {
    let mut steps = Steps::default();
    if flags.install {
        install::rust_targets(&mut steps)?;
        install::web_tools(&mut steps)?;
    }
    build(&mut steps)?;
    if flags.build_only {
        steps.summary();
        return Ok(());
    }
    steps.summary();
    println!(
        "\nServing http://127.0.0.1:8080 (the simulated node is selected when no node is plugged in); Ctrl-C stops."
    );
    cmd::run(trunk().args(["serve", "--release", "--no-autoreload"]))
}

/// The firmware the page bundles: `index.html` copies `target/bundle/firmware/` into dist.
const BUNDLE: &str = "target/bundle/firmware";

/// Puts `cargo xtask firmware`'s UF2 and manifest where `index.html` picks them up, building them first if they are
/// missing (a cold firmware build adds its time to the dashboard's first build; later builds reuse the UF2).
fn bundle_firmware(steps: &mut Steps) -> Result {
    let built = cmd::target_dir().join("firmware");
    let files = ["stapes-node.uf2", "stapes-node.json"];
    if !files.iter().all(|f| built.join(f).exists()) {
        firmware::build(steps)?;
    }
    let bundle = cmd::project_root().join(BUNDLE);
    fs::create_dir_all(&bundle)?;
    for file in files {
        fs::copy(built.join(file), bundle.join(file))?;
    }
    Ok(())
}

/// `cargo fetch` (trunk builds offline) and `trunk build --release`, then the wasm size against the budget.
pub(crate) fn build(steps: &mut Steps) -> Result {
    bundle_firmware(steps)?;
    steps.run("dashboard: trunk build --release", || {
        check_trunk_toml()?;
        cmd::run(cargo().arg("fetch"))?;
        cmd::run(trunk().args(["build", "--release"]))?;
        let (raw, gz) = wasm_size()?;
        println!("dashboard wasm: {raw} bytes, {gz} bytes gzipped (budget {WASM_GZIP_BUDGET})");
        if gz > WASM_GZIP_BUDGET {
            return Err(format!("the gzipped wasm is {gz} bytes, over the {WASM_GZIP_BUDGET}-byte budget").into());
        }
        Ok(Outcome::Done)
    })
}

/// trunk with wasm-opt (npm's binaryen) on PATH and without `RUSTFLAGS`, which would replace the
/// `--cfg=web_sys_unstable_apis` of `.cargo/config.toml` that WebUSB needs.
fn trunk() -> Command {
    let mut trunk = command("trunk");
    let mut path = vec![install::wasm_opt_bin_dir()];
    path.extend(std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default());
    trunk.env("PATH", std::env::join_paths(path).expect("PATH entries have no separator"));
    trunk.env("TRUNK_SKIP_VERSION_CHECK", "true");
    trunk.env_remove("RUSTFLAGS");
    trunk
}

/// Trunk.toml's `wasm_bindgen` must be Cargo.lock's wasm-bindgen (the CLI and the crate share one wire format).
fn check_trunk_toml() -> Result {
    let locked = install::locked_wasm_bindgen()?;
    let toml = fs::read_to_string(cmd::project_root().join("Trunk.toml"))?;
    let pinned = format!("wasm_bindgen = \"{locked}\"");
    if !toml.lines().any(|l| l.trim() == pinned) {
        return Err(format!("Trunk.toml must say `{pinned}` under [tools] (Cargo.lock's wasm-bindgen)").into());
    }
    Ok(())
}

/// Bytes of the built wasm, raw and `gzip -9`.
fn wasm_size() -> Result<(u64, u64)> {
    let wasm = fs::read_dir(dist_dir())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))
        .ok_or("trunk wrote no .wasm into target/dist")?;
    let raw = fs::metadata(&wasm)?.len();
    let out = command("gzip").args(["-9", "-c"]).arg(&wasm).output()?;
    if !out.status.success() {
        return Err("gzip failed".into());
    }
    Ok((raw, out.stdout.len() as u64))
}
