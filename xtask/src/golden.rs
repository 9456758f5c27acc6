//! The golden-data checks: `tools/golden/make_golden.py --check` and `tools/golden/make_micro_golden.py --check`
//! in the venv of `install`.

use crate::Result;
use crate::cmd::{self, Outcome, Steps, command};
use crate::install;

/// The check scripts, relative to the project root.
const SCRIPTS: [&str; 2] = ["tools/golden/make_golden.py", "tools/golden/make_micro_golden.py"];

/// Runs the checks; a missing script is a failure, not a pass.
pub(crate) fn check(steps: &mut Steps) -> Result {
    for script in SCRIPTS {
        check_one(steps, script)?;
    }
    Ok(())
}

fn check_one(steps: &mut Steps, script: &'static str) -> Result {
    let name = script.rsplit('/').next().unwrap_or(script);
    steps.run(&format!("golden: {name} --check"), || {
        if !cmd::project_root().join(script).is_file() {
            return Err(format!("{script} is missing: the golden data cannot be checked").into());
        }
        let python = install::venv_python();
        if !python.is_file() {
            return Err("no Python venv at target/venv (run `cargo xtask install`)".into());
        }
        cmd::run(command(python).args([script, "--check"]))?;
        Ok(Outcome::Done)
    })
}
