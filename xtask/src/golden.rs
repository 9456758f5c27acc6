//! The golden-data check: `tools/golden/make_golden.py --check` in the venv of `install`.

use crate::Result;
use crate::cmd::{self, Outcome, Steps, command};
use crate::install;

/// The check script, relative to the project root.
const SCRIPT: &str = "tools/golden/make_golden.py";

/// Runs the check; a missing script is a failure, not a pass.
pub(crate) fn check(steps: &mut Steps) -> Result {
    steps.run("golden: make_golden.py --check", || {
        if !cmd::project_root().join(SCRIPT).is_file() {
            return Err(format!("{SCRIPT} is missing: the golden data cannot be checked").into());
        }
        let python = install::venv_python();
        if !python.is_file() {
            return Err("no Python venv at target/venv (run `cargo xtask install`)".into());
        }
        cmd::run(command(python).args([SCRIPT, "--check"]))?;
        Ok(Outcome::Done)
    })
}
