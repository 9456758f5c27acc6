//! Cortex-M33 under QEMU: building the runner crate (`conformance/m33`) and running its binaries on mps2-an505.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, thread};

use crate::Result;
use crate::cmd::{self, cargo, command, require_tools};

/// The Cortex-M33 target (also the Pico 2's).
pub(crate) const TARGET: &str = "thumbv8m.main-none-eabihf";
/// The cargo profile of every M33 build (root `.cargo/config.toml`): release, opt-level 3, LTO, one codegen unit.
pub(crate) const PROFILE: &str = "firmware";

/// Default limit of one QEMU run; `STAPES_QEMU_TIMEOUT` (seconds) overrides it.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Builds both runner binaries and returns their directory.
pub(crate) fn build() -> Result<PathBuf> {
    cmd::run(cargo().args([
        "build",
        "--profile",
        PROFILE,
        "--target",
        TARGET,
        "-p",
        "stapes-conformance-m33",
        "--bins",
    ]))?;
    Ok(cmd::target_dir().join(TARGET).join(PROFILE))
}

/// What a QEMU run printed.
pub(crate) struct Output {
    /// Semihosting output of the program.
    pub(crate) stdout: String,
    /// QEMU's own messages and the plugin's lines.
    pub(crate) stderr: String,
}

/// Runs `elf` on QEMU mps2-an505 with semihosting, plus `extra` arguments; echoes its output as it comes.
/// Fails on a non-zero exit (a panic or fault in the program) or after the timeout.
pub(crate) fn qemu(elf: &Path, extra: &[String]) -> Result<Output> {
    require_tools(&["qemu-system-arm"])?;
    let mut qemu = command("qemu-system-arm");
    qemu.args(["-machine", "mps2-an505", "-cpu", "cortex-m33", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .args(extra);
    run_with_timeout(&mut qemu, timeout()?)
}

fn timeout() -> Result<Duration> {
    match env::var("STAPES_QEMU_TIMEOUT") {
        Ok(secs) => {
            Ok(Duration::from_secs(secs.parse().map_err(|_| format!("STAPES_QEMU_TIMEOUT={secs}: not seconds"))?))
        }
        Err(_) => Ok(DEFAULT_TIMEOUT),
    }
}

fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Output> {
    let shown = cmd::display(cmd);
    println!("$ {shown}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    let stdout = thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            println!("  | {line}");
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let mut stderr = child.stderr.take().expect("piped");
    let stderr = thread::spawn(move || {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all);
        all
    });

    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let out = Output { stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() };
    if !out.stderr.is_empty() {
        for line in out.stderr.lines() {
            println!("  ! {line}");
        }
    }
    match status {
        None => Err(format!(
            "`{shown}` timed out after {}s (a hang or fault loop; raise STAPES_QEMU_TIMEOUT if the run is just long)",
            timeout.as_secs()
        )
        .into()),
        Some(status) if !status.success() => {
            Err(format!("`{shown}` failed ({status}): the program panicked or faulted, see its output above").into())
        }
        Some(_) => Ok(out),
    }
}
