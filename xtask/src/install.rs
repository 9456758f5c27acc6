//! `cargo xtask install`: the idempotent installer. Every step checks first and is skipped when satisfied, so
//! `cargo xtask test` runs it each time for a few milliseconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::cmd::{self, Outcome, Steps, command, on_path, succeeds};

/// Rust targets of the conformance runners (rustfmt and clippy come with the toolchain).
pub(crate) const RUST_TARGETS: [&str; 3] =
    ["wasm32-unknown-unknown", "thumbv8m.main-none-eabihf", "aarch64-unknown-linux-gnu"];

/// Python packages of the golden-data check (`tools/golden/make_golden.py --check`); the versions pinned in
/// `tools/golden/requirements.txt` (and `requirements-nodeps.txt`) apply when those files exist. The host tests'
/// PIO emulator comes from [`CAPTURE_REQUIREMENTS`].
const PY_PACKAGES: [&str; 4] = ["numpy", "librosa", "kaldi-native-fbank", "soundfile"];
/// The PIO emulator the capture test (`firmware/rp2350/tests/capture.rs`) runs the node's I2S program in.
const CAPTURE_REQUIREMENTS: &str = "firmware/rp2350/tests/capture/requirements.txt";
/// Installed with `--no-deps`: only their numpy front ends are used, not torch/ctranslate2/av.
const PY_NO_DEPS: [&str; 2] = ["faster-whisper", "torchvggish"];

/// A Debian package and how to tell it is already there.
struct SystemDep {
    package: &'static str,
    present: fn() -> bool,
}

const SYSTEM_DEPS: [SystemDep; 10] = [
    SystemDep { package: "qemu-system-arm", present: || on_path("qemu-system-arm") },
    SystemDep {
        package: "binutils-arm-none-eabi",
        present: || on_path("arm-none-eabi-nm") && on_path("arm-none-eabi-size"),
    },
    SystemDep { package: "gcc", present: || on_path("gcc") },
    // aarch64 conformance: the cross linker and disassembler, the libc it links against (only a Recommends of the
    // compiler, which this installer does not install) and the user-mode emulator.
    SystemDep {
        package: "gcc-aarch64-linux-gnu",
        present: || on_path("aarch64-linux-gnu-gcc") && on_path("aarch64-linux-gnu-objdump"),
    },
    SystemDep {
        package: "libc6-dev-arm64-cross",
        present: || Path::new("/usr/aarch64-linux-gnu/lib/crt1.o").is_file(),
    },
    SystemDep { package: "qemu-user", present: || on_path("qemu-aarch64") },
    SystemDep { package: "nodejs", present: || on_path("node") },
    // The TFLite Micro golden data (tools/golden/make_micro_golden.py): speech, and the reference C built from
    // the pymicro-features sdist.
    SystemDep { package: "espeak-ng", present: || on_path("espeak-ng") },
    SystemDep { package: "g++", present: || on_path("g++") },
    // Debian's python3 lacks `venv`/`ensurepip` until python3-venv is installed.
    SystemDep {
        package: "python3-venv",
        present: || succeeds(command("python3").args(["-c", "import venv, ensurepip"])),
    },
];

/// Runs every install step.
pub(crate) fn run() -> Result {
    let mut steps = Steps::default();
    all(&mut steps)?;
    steps.summary();
    Ok(())
}

/// Every install step: Rust targets, Debian packages, the Python venv, the dashboard's tools and the browser
/// tests' tools.
pub(crate) fn all(steps: &mut Steps) -> Result {
    rust_targets(steps)?;
    system_packages(steps)?;
    python_venv(steps)?;
    python_packages(steps)?;
    web_tools(steps)?;
    browser_tools(steps)
}

/// `rustup target add` for the targets not installed yet.
pub(crate) fn rust_targets(steps: &mut Steps) -> Result {
    steps.run("install: rust targets", || {
        let missing: Vec<&str> = RUST_TARGETS.into_iter().filter(|t| !rust_target_installed(t)).collect();
        if missing.is_empty() {
            return Ok(Outcome::Skipped(format!("installed: {}", RUST_TARGETS.join(", "))));
        }
        if !on_path("rustup") {
            return Err(format!("Rust targets {} are missing and rustup is not on PATH", missing.join(", ")).into());
        }
        cmd::run(command("rustup").args(["target", "add"]).args(&missing))?;
        Ok(Outcome::Done)
    })
}

/// Whether the sysroot of the project's toolchain holds `core` for `target`.
fn rust_target_installed(target: &str) -> bool {
    let Ok(out) = command("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    fs::read_dir(sysroot.join("lib/rustlib").join(target).join("lib"))
        .is_ok_and(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
}

/// `apt-get update` (once) and `apt-get install` of the Debian packages whose tools are missing.
pub(crate) fn system_packages(steps: &mut Steps) -> Result {
    steps.run("install: apt packages", || {
        let missing: Vec<&str> = SYSTEM_DEPS.iter().filter(|d| !(d.present)()).map(|d| d.package).collect();
        if missing.is_empty() {
            let all: Vec<&str> = SYSTEM_DEPS.iter().map(|d| d.package).collect();
            return Ok(Outcome::Skipped(format!("present: {}", all.join(", "))));
        }
        if !on_path("apt-get") {
            return Err(format!("install these packages (or their equivalents): {}", missing.join(" ")).into());
        }
        // Wait for another apt run instead of failing on its lock.
        let lock_wait = ["-o", "DPkg::Lock::Timeout=600"];
        cmd::run(apt().arg("update").args(lock_wait))?;
        cmd::run(apt().args(["install", "-y", "--no-install-recommends"]).args(lock_wait).args(&missing))?;
        Ok(Outcome::Done)
    })
}

/// `apt-get`, through sudo unless we are root.
fn apt() -> Command {
    let root = command("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut apt = if root {
        command("apt-get")
    } else {
        let mut sudo = command("sudo");
        sudo.arg("apt-get");
        sudo
    };
    apt.env("DEBIAN_FRONTEND", "noninteractive");
    apt
}

/// The Python venv of the golden-data tools: `target/venv`.
pub(crate) fn venv_dir() -> PathBuf {
    cmd::project_root().join("target/venv")
}

/// The venv's interpreter.
pub(crate) fn venv_python() -> PathBuf {
    venv_dir().join("bin/python")
}

/// `python3 -m venv target/venv` unless a working venv is there.
fn python_venv(steps: &mut Steps) -> Result {
    steps.run("install: python venv", || {
        if succeeds(command(venv_python()).args(["-c", ""])) {
            return Ok(Outcome::Skipped("target/venv works".to_owned()));
        }
        // `--clear`: a venv left by another Python (or half-created) is replaced.
        cmd::run(command("python3").args(["-m", "venv", "--clear"]).arg(venv_dir()))?;
        Ok(Outcome::Done)
    })
}

/// `pip install` of the golden-data packages unless all are installed (at the pinned versions, when
/// `tools/golden/requirements*.txt` pin them).
fn python_packages(steps: &mut Steps) -> Result {
    steps.run("install: python packages", || {
        let mut with_deps = requirements(&PY_PACKAGES, "tools/golden/requirements.txt")?;
        with_deps.extend(requirements(&[], CAPTURE_REQUIREMENTS)?);
        let no_deps = requirements(&PY_NO_DEPS, "tools/golden/requirements-nodeps.txt")?;
        let all: Vec<&str> = with_deps.iter().chain(&no_deps).map(String::as_str).collect();
        if succeeds(command(venv_python()).args(["-c", INSTALLED]).args(&all)) {
            return Ok(Outcome::Skipped(format!("installed: {}", all.join(" "))));
        }
        let pip = || {
            let mut pip = command(venv_python());
            pip.args(["-m", "pip", "install", "--disable-pip-version-check"]);
            pip
        };
        cmd::run(pip().args(&with_deps))?;
        cmd::run(pip().arg("--no-deps").args(&no_deps))?;
        Ok(Outcome::Done)
    })
}

/// Exits 0 when every argument (`name` or `name==version`) is installed, at that version if given. Reads metadata
/// only: the --no-deps packages cannot be imported without their (absent) dependencies.
const INSTALLED: &str = "\
import sys, importlib.metadata as m
for req in sys.argv[1:]:
    name, _, want = req.partition('==')
    try:
        have = m.version(name)
    except m.PackageNotFoundError:
        sys.exit(1)
    if want and have != want:
        sys.exit(1)
";

/// `base` plus the requirement lines of `file` (relative to the root, if it exists), pins first so that
/// `numpy==2.4.6` and a bare `numpy` resolve to the pin.
fn requirements(base: &[&str], file: &str) -> Result<Vec<String>> {
    let mut reqs: Vec<String> = Vec::new();
    if let Ok(text) = fs::read_to_string(cmd::project_root().join(file)) {
        for line in text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()) {
            if line.starts_with('-') {
                return Err(format!("{file}: options such as `{line}` are not supported by xtask").into());
            }
            reqs.push(line.replace(' ', ""));
        }
    }
    let name = |req: &str| {
        let end = req.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).unwrap_or(req.len());
        req[..end].to_ascii_lowercase().replace('_', "-")
    };
    for &package in base {
        if !reqs.iter().any(|r| name(r) == name(package)) {
            reqs.push(package.to_owned());
        }
    }
    Ok(reqs)
}

/// trunk's last release that builds with rustc 1.95 (0.22 needs 1.96.1).
const TRUNK_VERSION: &str = "0.21.14";
/// wasm-opt from npm: Debian's binaryen 108 writes a broken module (externref table export).
const BINARYEN_VERSION: &str = "132.0.0";

/// The dashboard's tools: trunk, wasm-bindgen-cli at Cargo.lock's wasm-bindgen, wasm-opt (npm binaryen) under
/// `target/tools`. Each is checked by its `--version` first.
pub(crate) fn web_tools(steps: &mut Steps) -> Result {
    steps.run("install: trunk", || {
        if version_line("trunk").contains(TRUNK_VERSION) {
            return Ok(Outcome::Skipped(format!("trunk {TRUNK_VERSION} on PATH")));
        }
        cmd::run(cargo_install().args([&format!("trunk@{TRUNK_VERSION}"), "--locked"]))?;
        Ok(Outcome::Done)
    })?;
    steps.run("install: wasm-bindgen-cli", || {
        let version = locked_wasm_bindgen()?;
        if version_line("wasm-bindgen").split_whitespace().any(|w| w == version) {
            return Ok(Outcome::Skipped(format!("wasm-bindgen {version} on PATH")));
        }
        // Not `--locked`: its lock file wants a crate version the registry mirror lacks.
        cmd::run(cargo_install().arg(format!("wasm-bindgen-cli@{version}")))?;
        Ok(Outcome::Done)
    })?;
    steps.run("install: wasm-opt (npm binaryen)", || {
        let major = BINARYEN_VERSION.split('.').next().unwrap_or(BINARYEN_VERSION);
        let wasm_opt = wasm_opt_bin_dir().join("wasm-opt");
        if version_line(&wasm_opt.to_string_lossy()).contains(&format!("version {major}")) {
            return Ok(Outcome::Skipped(format!("binaryen {BINARYEN_VERSION} in target/tools")));
        }
        let prefix = cmd::project_root().join("target/tools");
        fs::create_dir_all(&prefix)?;
        cmd::run(
            command("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(format!("binaryen@{BINARYEN_VERSION}")),
        )?;
        Ok(Outcome::Done)
    })
}

/// `cargo install` with a profile that compiles quickly. trunk's own release profile is fat LTO in one codegen
/// unit, which alone takes most of a cold CI run's install time on two cores; neither tool's own speed matters
/// here (they serve files and rewrite one wasm module).
fn cargo_install() -> Command {
    let mut install = cmd::cargo();
    install
        .arg("install")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1");
    install
}

/// The browser tests' tools: Debian's chromium and chromium-driver (apt), playwright-core (npm, under
/// `target/tools`; never `npx playwright install`, which downloads its own browsers).
pub(crate) fn browser_tools(steps: &mut Steps) -> Result {
    steps.run("install: chromium, chromium-driver", || {
        if on_path("chromium") && on_path("chromedriver") {
            return Ok(Outcome::Skipped("chromium and chromedriver on PATH".to_owned()));
        }
        let lock_wait = ["-o", "DPkg::Lock::Timeout=600"];
        cmd::run(apt().arg("update").args(lock_wait))?;
        cmd::run(
            apt()
                .args(["install", "-y", "--no-install-recommends"])
                .args(lock_wait)
                .args(["chromium", "chromium-driver"]),
        )?;
        Ok(Outcome::Done)
    })?;
    steps.run("install: playwright-core (npm)", || {
        if playwright_core_dir().join("package.json").is_file() {
            return Ok(Outcome::Skipped("playwright-core in target/tools".to_owned()));
        }
        let prefix = cmd::project_root().join("target/tools");
        fs::create_dir_all(&prefix)?;
        cmd::run(
            command("npm").args(["install", "--no-audit", "--no-fund", "--prefix"]).arg(&prefix).arg("playwright-core"),
        )?;
        Ok(Outcome::Done)
    })
}

/// playwright-core's package directory (the e2e test loads it from here).
pub(crate) fn playwright_core_dir() -> PathBuf {
    cmd::project_root().join("target/tools/node_modules/playwright-core")
}

/// Where npm puts `wasm-opt` (trunk finds it on PATH).
pub(crate) fn wasm_opt_bin_dir() -> PathBuf {
    cmd::project_root().join("target/tools/node_modules/.bin")
}

/// The wasm-bindgen version in Cargo.lock.
pub(crate) fn locked_wasm_bindgen() -> Result<String> {
    let lock = fs::read_to_string(cmd::project_root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"'));
            return version.map(str::to_owned).ok_or_else(|| "Cargo.lock: wasm-bindgen has no version line".into());
        }
    }
    Err("Cargo.lock has no wasm-bindgen (is web/ a workspace member?)".into())
}

/// The first line `program --version` prints, or "" when it does not run.
fn version_line(program: &str) -> String {
    command(program)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_owned())
        .unwrap_or_default()
}
