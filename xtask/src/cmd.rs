//! Helpers shared by the tasks: project paths, echoed commands, PATH lookups and timed steps.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// Returns the root directory of the stapes workspace.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(1).expect("xtask/ sits in the workspace root").to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the root) or `<root>/target`.
pub(crate) fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
}

/// The cargo that runs xtask (`CARGO`), in the project root.
pub(crate) fn cargo() -> Command {
    command(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `program`, run in the project root.
pub(crate) fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(project_root());
    cmd
}

/// `cmd` as a shell-like line for echoing (`cargo` for the full path in `CARGO`).
pub(crate) fn display(cmd: &Command) -> String {
    let mut words: Vec<String> = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            words.push(format!("{}={}", key.to_string_lossy(), quote(&value.to_string_lossy())));
        }
    }
    let program = cmd.get_program();
    let cargo = env::var_os("CARGO");
    words.push(if cargo.as_deref() == Some(program) { "cargo".to_owned() } else { quote(&relative(program)) });
    words.extend(cmd.get_args().map(|a| quote(&relative(a))));
    words.join(" ")
}

/// `path` without the project root prefix (commands run in the root).
fn relative(path: &OsStr) -> String {
    let root = project_root();
    match Path::new(path).strip_prefix(&root) {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_string_lossy().into_owned(),
        _ => path.to_string_lossy().replace(&format!("{}/", root.display()), ""),
    }
}

fn quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Echoes and runs `cmd` with inherited stdio; fails unless it exits with success.
pub(crate) fn run(cmd: &mut Command) -> Result {
    let shown = display(cmd);
    println!("$ {shown}");
    let status = cmd.status().map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{shown}` failed ({status})").into());
    }
    Ok(())
}

/// Echoes and runs `cmd`, returning its stdout (stderr passes through); fails unless it exits with success.
pub(crate) fn read(cmd: &mut Command) -> Result<String> {
    let shown = display(cmd);
    println!("$ {shown}");
    let out = cmd.stderr(Stdio::inherit()).output().map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{shown}` failed ({})", out.status).into());
    }
    String::from_utf8(out.stdout).map_err(|_| format!("`{shown}` printed non-UTF-8 output").into())
}

/// Runs `cmd` silently; whether it started and exited with success (for "already installed?" checks).
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Whether an executable `name` is on PATH.
pub(crate) fn on_path(name: &str) -> bool {
    env::var_os("PATH").is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// Fails with a hint to run the installer unless every tool in `tools` is on PATH.
pub(crate) fn require_tools(tools: &[&str]) -> Result {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("not on PATH: {} (run `cargo xtask install`)", missing.join(", ")).into())
    }
}

/// What a step did.
pub(crate) enum Outcome {
    /// The step ran.
    Done,
    /// Nothing to do, and why (already installed, script absent...).
    Skipped(String),
}

/// Runs named steps with a header and a duration each, and prints a summary at the end or at the first failure.
#[derive(Default)]
pub(crate) struct Steps {
    rows: Vec<(String, String, Duration)>,
}

impl Steps {
    /// Runs `body` as the step `name`; on failure prints the summary and returns the error.
    pub(crate) fn run(&mut self, name: &str, body: impl FnOnce() -> Result<Outcome>) -> Result {
        println!("\n==> {name}");
        let start = Instant::now();
        let result = body();
        let took = start.elapsed();
        match result {
            Ok(Outcome::Done) => {
                println!("<== {name}: ok ({})", seconds(took));
                self.rows.push((name.to_owned(), "ok".to_owned(), took));
                Ok(())
            }
            Ok(Outcome::Skipped(why)) => {
                println!("<== {name}: skipped, {why}");
                self.rows.push((name.to_owned(), format!("skipped: {why}"), took));
                Ok(())
            }
            Err(e) => {
                println!("<== {name}: FAILED ({})", seconds(took));
                self.rows.push((name.to_owned(), "FAILED".to_owned(), took));
                self.summary();
                Err(format!("step `{name}` failed: {e}").into())
            }
        }
    }

    /// Prints every step so far with its duration and outcome.
    pub(crate) fn summary(&self) {
        let width = self.rows.iter().map(|(name, _, _)| name.len()).max().unwrap_or(0);
        println!("\nSummary:");
        for (name, outcome, took) in &self.rows {
            println!("  {name:<width$}  {:>7}  {outcome}", seconds(*took));
        }
        let total: Duration = self.rows.iter().map(|(_, _, took)| *took).sum();
        println!("  {:<width$}  {:>7}", "total", seconds(total));
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
