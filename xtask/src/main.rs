//! `cargo xtask`: the project's tasks (see `cargo xtask help`). Only dispatch here; one module per task.

mod aarch64;
mod bench;
mod cmd;
mod conformance;
mod count;
mod dashboard;
mod elf;
mod firmware;
mod flags;
mod golden;
mod install;
mod lint;
mod m33;
mod python;
mod test;
mod web;

use std::process::ExitCode;

/// Any error of a task; the message is printed and xtask exits with failure.
pub(crate) type DynError = Box<dyn std::error::Error>;
/// Result of a task.
pub(crate) type Result<T = ()> = std::result::Result<T, DynError>;

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match flags::parse(&args)? {
        flags::Task::Test(f) => test::run(&f),
        flags::Task::Conformance(f) => conformance::run(&f),
        flags::Task::M33Bench(f) => bench::run(&f),
        flags::Task::Aarch64Count(f) => count::run(&f),
        flags::Task::Firmware(f) => firmware::run(&f),
        flags::Task::Install => install::run(),
        flags::Task::Dashboard(f) => dashboard::run(&f),
        flags::Task::Help => {
            print!("{}", flags::HELP);
            Ok(())
        }
    }
}
