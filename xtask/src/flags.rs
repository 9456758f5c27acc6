//! Command line of `cargo xtask` (hand-written: no dependencies).

use crate::Result;

/// `cargo xtask help`.
pub(crate) const HELP: &str = "\
Usage: cargo xtask <task> [flags]

Tasks:
  test          Every check: install what is missing, host tests, conformance on all targets, the Cortex-M33
                bench (printed, not asserted), the golden-data check, the Python wheel and its pytest suite,
                rustfmt, clippy. Stops at the first failure.
      --no-install        skip the installer (a missing tool then fails its step)
      --only STEP,...     run only these steps
      --skip STEP,...     run all steps but these
                          steps: install, host, conformance, m33-bench, firmware, golden, python, web, fmt, clippy
  conformance   Hash every preset on host, wasm32, wasm32+simd128, Cortex-M33 (QEMU) and aarch64 Linux (QEMU user
                mode; there also the core's tests, and no fused multiply-add in its code); fail unless all agree.
      --no-install        skip the installer
      --only TARGET,...   host, wasm32, wasm32+simd128, m33, aarch64
  m33-bench     Instructions of one `yamnet_frame()` call on Cortex-M33 (QEMU plugin), section sizes, stack use.
      --no-install        skip the installer
  aarch64-count Instructions of 10 minutes of `yamnet` offline on aarch64 in the array lanes and in NEON (QEMU
                user-mode plugin), in total and per frame. Printed, not asserted.
      --no-install        skip the installer
  firmware      The Pico 2 firmware: release ELF, target/firmware/stapes-node.uf2 (RP2350 family) and
                stapes-node.json (version, git hash, size, sha256). Fails over 256 KiB flash or 128 KiB static RAM.
      --no-install        skip the installer (the thumbv8m target must be there)
  install       Only the installer: rustup targets, apt packages, Python venv at target/venv. Idempotent.
  dashboard     Install trunk, wasm-bindgen-cli and wasm-opt if missing, build the dashboard (release) and serve it on
                http://127.0.0.1:8080 with the simulated node. Fails over 400 KB of gzipped wasm.
      --build-only        build target/dist and stop (no server)
      --no-install        skip the installer
  help          This text.

Environment: STAPES_QEMU_TIMEOUT (seconds per QEMU run, default 300), CARGO_TARGET_DIR.
";

/// A parsed command line.
pub(crate) enum Task {
    Test(TestFlags),
    Conformance(ConformanceFlags),
    M33Bench(BenchFlags),
    Aarch64Count(BenchFlags),
    Firmware(FirmwareFlags),
    Install,
    Dashboard(DashboardFlags),
    Help,
}

/// One step of `cargo xtask test`, in running order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Step {
    Install,
    Host,
    Conformance,
    M33Bench,
    Firmware,
    Golden,
    Python,
    Web,
    Fmt,
    Clippy,
}

impl Step {
    pub(crate) const ALL: [Step; 10] = [
        Step::Install,
        Step::Host,
        Step::Conformance,
        Step::M33Bench,
        Step::Firmware,
        Step::Golden,
        Step::Python,
        Step::Web,
        Step::Fmt,
        Step::Clippy,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Install => "install",
            Step::Host => "host",
            Step::Conformance => "conformance",
            Step::M33Bench => "m33-bench",
            Step::Firmware => "firmware",
            Step::Golden => "golden",
            Step::Python => "python",
            Step::Web => "web",
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
        }
    }
}

/// A conformance target, in column order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Target {
    Host,
    Wasm32,
    Wasm32Simd128,
    M33,
    Aarch64,
}

impl Target {
    pub(crate) const ALL: [Target; 5] =
        [Target::Host, Target::Wasm32, Target::Wasm32Simd128, Target::M33, Target::Aarch64];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Target::Host => "host",
            Target::Wasm32 => "wasm32",
            Target::Wasm32Simd128 => "wasm32+simd128",
            Target::M33 => "m33",
            Target::Aarch64 => "aarch64",
        }
    }
}

/// Flags of `cargo xtask test`.
pub(crate) struct TestFlags {
    /// The steps to run, in running order.
    pub(crate) steps: Vec<Step>,
}

/// Flags of `cargo xtask conformance`.
pub(crate) struct ConformanceFlags {
    pub(crate) install: bool,
    pub(crate) targets: Vec<Target>,
}

/// Flags of `cargo xtask m33-bench` and `cargo xtask aarch64-count`.
pub(crate) struct BenchFlags {
    pub(crate) install: bool,
}

/// Flags of `cargo xtask firmware`.
pub(crate) struct FirmwareFlags {
    pub(crate) install: bool,
}

/// Flags of `cargo xtask dashboard`.
pub(crate) struct DashboardFlags {
    pub(crate) install: bool,
    pub(crate) build_only: bool,
}

/// Parses `cargo xtask` arguments (without the program name).
pub(crate) fn parse(args: &[String]) -> Result<Task> {
    let Some((task, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    let mut rest = Args::new(rest);
    let parsed = match task.as_str() {
        "test" => {
            let mut only: Option<Vec<Step>> = None;
            let mut skip: Vec<Step> = Vec::new();
            while let Some(flag) = rest.next_flag() {
                match flag.as_str() {
                    "--no-install" => skip.push(Step::Install),
                    "--only" => only = Some(rest.list("--only", &Step::ALL, |s| s.name())?),
                    "--skip" => skip.extend(rest.list("--skip", &Step::ALL, |s| s.name())?),
                    _ => return Err(unknown(task, &flag)),
                }
            }
            let wanted = only.unwrap_or_else(|| Step::ALL.to_vec());
            let steps = Step::ALL.into_iter().filter(|s| wanted.contains(s) && !skip.contains(s)).collect();
            Task::Test(TestFlags { steps })
        }
        "conformance" => {
            let mut flags = ConformanceFlags { install: true, targets: Target::ALL.to_vec() };
            while let Some(flag) = rest.next_flag() {
                match flag.as_str() {
                    "--no-install" => flags.install = false,
                    "--only" => {
                        let only = rest.list("--only", &Target::ALL, |t| t.name())?;
                        flags.targets = Target::ALL.into_iter().filter(|t| only.contains(t)).collect();
                    }
                    _ => return Err(unknown(task, &flag)),
                }
            }
            Task::Conformance(flags)
        }
        "m33-bench" => {
            let mut flags = BenchFlags { install: true };
            while let Some(flag) = rest.next_flag() {
                match flag.as_str() {
                    "--no-install" => flags.install = false,
                    _ => return Err(unknown(task, &flag)),
                }
            }
            Task::M33Bench(flags)
        }
        "aarch64-count" => {
            let mut flags = BenchFlags { install: true };
            while let Some(flag) = rest.next_flag() {
                match flag.as_str() {
                    "--no-install" => flags.install = false,
                    _ => return Err(unknown(task, &flag)),
                }
            }
            Task::Aarch64Count(flags)
        }
        "firmware" => {
            let mut flags = FirmwareFlags { install: true };
            while let Some(flag) = rest.next_flag() {
                match flag.as_str() {
                    "--no-install" => flags.install = false,
                    _ => return Err(unknown(task, &flag)),
                }
            }
            Task::Firmware(flags)
        }
        "install" => no_flags(task, &mut rest, Task::Install)?,
        "dashboard" => {
            let mut flags = DashboardFlags { install: true, build_only: false };
            while let Some(flag) = rest.next_flag() {
                match flag.as_str() {
                    "--no-install" => flags.install = false,
                    "--build-only" => flags.build_only = true,
                    _ => return Err(unknown(task, &flag)),
                }
            }
            Task::Dashboard(flags)
        }
        "help" | "--help" | "-h" => Task::Help,
        _ => return Err(format!("unknown task `{task}`; see `cargo xtask help`").into()),
    };
    Ok(parsed)
}

fn no_flags(task: &str, rest: &mut Args, parsed: Task) -> Result<Task> {
    match rest.next_flag() {
        Some(flag) => Err(unknown(task, &flag)),
        None => Ok(parsed),
    }
}

fn unknown(task: &str, flag: &str) -> crate::DynError {
    format!("unknown flag `{flag}` for `cargo xtask {task}`; see `cargo xtask help`").into()
}

/// The remaining arguments; `--flag=value` is split into `--flag value`.
struct Args {
    items: std::vec::IntoIter<String>,
}

impl Args {
    fn new(args: &[String]) -> Args {
        let mut items = Vec::new();
        for arg in args {
            match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    items.push(flag.to_owned());
                    items.push(value.to_owned());
                }
                _ => items.push(arg.clone()),
            }
        }
        Args { items: items.into_iter() }
    }

    fn next_flag(&mut self) -> Option<String> {
        self.items.next()
    }

    /// The comma-separated value of `flag`, each item one of `choices` by `name`.
    fn list<T: Copy>(&mut self, flag: &str, choices: &[T], name: impl Fn(T) -> &'static str) -> Result<Vec<T>> {
        let names: Vec<&str> = choices.iter().map(|&c| name(c)).collect();
        let value = self.items.next().ok_or_else(|| format!("`{flag}` needs a value: {}", names.join(", ")))?;
        value
            .split(',')
            .map(|item| {
                choices
                    .iter()
                    .copied()
                    .find(|&c| name(c) == item)
                    .ok_or_else(|| format!("`{flag}`: unknown `{item}`; expected one of {}", names.join(", ")).into())
            })
            .collect()
    }
}
