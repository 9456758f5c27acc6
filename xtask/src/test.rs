//! `cargo xtask test`: every check, in order, stopping at the first failure.

use crate::Result;
use crate::cmd::{self, Outcome, Steps, cargo};
use crate::flags::{Step, Target, TestFlags};
use crate::{bench, conformance, firmware, golden, install, lint, python, web};

pub(crate) fn run(flags: &TestFlags) -> Result {
    let mut steps = Steps::default();
    for step in &flags.steps {
        match step {
            Step::Install => install::all(&mut steps)?,
            Step::Host => steps.run("host: cargo test --workspace", || {
                cmd::run(cargo().args(["test", "--workspace"]))?;
                Ok(Outcome::Done)
            })?,
            Step::Conformance => conformance::check(&mut steps, &Target::ALL)?,
            Step::M33Bench => bench::measure(&mut steps)?,
            Step::Firmware => firmware::build(&mut steps)?,
            Step::Golden => golden::check(&mut steps)?,
            Step::Python => python::check(&mut steps)?,
            Step::Web => web::check(&mut steps)?,
            Step::Fmt => lint::fmt(&mut steps)?,
            Step::Clippy => lint::clippy(&mut steps)?,
        }
    }
    steps.summary();
    let names: Vec<&str> = flags.steps.iter().map(|s| s.name()).collect();
    println!("\ncargo xtask test: passed ({})", names.join(", "));
    Ok(())
}
