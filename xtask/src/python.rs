//! The Python package: the test packages of `pyext/requirements-test.txt` and the `stapes` wheel built from
//! `pyext/` go into the venv of `install` (`target/venv`, which already holds the pinned reference packages), then
//! `pytest pyext/tests` runs (parity against librosa, kaldi-native-fbank and faster-whisper, bad input, streaming,
//! GIL release, CLI, Dask). The benchmark (`bench/`) is not run here.

use std::process::Command;

use crate::Result;
use crate::cmd::{self, Outcome, Steps, command};
use crate::install;

/// Test-only packages (pytest, dask[distributed]), pinned.
const REQUIREMENTS: &str = "pyext/requirements-test.txt";
/// pytest's exit status when it collected no test: a failure here, not a pass.
const PYTEST_NO_TESTS: i32 = 5;

/// `python -m pip install ...` in the venv, quietly.
fn pip(python: &std::path::Path) -> Command {
    let mut pip = command(python);
    pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet"]);
    pip
}

/// Installs the test packages and the wheel, then runs the Python tests.
pub(crate) fn check(steps: &mut Steps) -> Result {
    let python = install::venv_python();
    steps.run(&format!("python: pip install -r {REQUIREMENTS}"), || {
        if !python.is_file() {
            return Err("no Python venv at target/venv (run `cargo xtask install`)".into());
        }
        cmd::run(pip(&python).args(["-r", REQUIREMENTS]))?;
        Ok(Outcome::Done)
    })?;
    steps.run("python: pip install ./pyext (maturin, release)", || {
        // The wheel's cargo build shares the workspace's target directory, so warm rebuilds take seconds.
        cmd::run(pip(&python).arg("./pyext").env("CARGO_TARGET_DIR", cmd::target_dir()))?;
        Ok(Outcome::Done)
    })?;
    steps.run("python: pytest pyext/tests", || {
        let mut pytest = command(&python);
        pytest.args(["-m", "pytest", "pyext/tests", "-q", "-p", "no:cacheprovider"]);
        let shown = cmd::display(&pytest);
        println!("$ {shown}");
        let status = pytest.status().map_err(|e| format!("could not start `{shown}`: {e}"))?;
        match status.code() {
            Some(0) => Ok(Outcome::Done),
            Some(PYTEST_NO_TESTS) => Err("pytest collected no tests (exit status 5)".into()),
            _ => Err(format!("`{shown}` failed ({status})").into()),
        }
    })
}
