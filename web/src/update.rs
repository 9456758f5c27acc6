//! The firmware update as the page shows it: which image, which step, how far. Plain logic, tested on the host and
//! under `wasm-bindgen-test`; the browser side (WebUSB, timers, fetch) is in [`driver`].
//!
//! Steps: a running node is asked to restart into its ROM bootloader (`system/reboot`), or the user plugs a Pico 2
//! in with BOOTSEL held (first install); the bootloader is found among the permitted devices or one permission click
//! away; the flasher erases, writes and verifies sector by sector and reboots the board; the page reconnects to the
//! node and confirms the version in `info`. Any failure leaves the ROM bootloader in place, so every failed step can
//! be retried.

use std::ops::Range;

use stapes_firmware::layout::{SETTINGS, XIP_BASE};
use stapes_flasher::FlashError;
use stapes_flasher::uf2::{SECTOR_LEN, Uf2};

#[cfg(target_arch = "wasm32")]
pub(crate) mod driver;

/// The node's settings store in flash addresses: an image reaching it is refused (settings survive updates).
pub fn protected() -> Range<u32> {
    XIP_BASE + SETTINGS.start..XIP_BASE + SETTINGS.end
}

/// Validates a UF2 before anything is erased: a complete RP2350 Arm Secure image inside flash that leaves the
/// settings alone. The error is the reason, as the user reads it.
pub fn check(bytes: &[u8]) -> Result<Uf2, String> {
    let uf2 = Uf2::parse(bytes).map_err(|e| FlashError::Uf2(e).to_string())?;
    let (image, protected) = (uf2.erase_range(), protected());
    if image.start < protected.end && protected.start < image.end {
        return Err(FlashError::WouldErase { protected, image }.to_string());
    }
    Ok(uf2)
}

/// A firmware build, as its manifest and the node's `info` name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    pub version: String,
    pub git_hash: String,
}

/// The manifest `cargo xtask firmware` writes beside the UF2 (`stapes-node.json`), as far as the page uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub build: Build,
    /// The UF2's file name, beside the manifest.
    pub file: String,
    /// The UF2's length in bytes.
    pub size: usize,
    /// The UF2's SHA-256, lowercase hex.
    pub sha256: String,
}

impl Manifest {
    /// Reads the manifest; a missing or mistyped field is named.
    pub fn parse(json: &str) -> Result<Manifest, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("the firmware manifest is not JSON: {e}"))?;
        let text = |key: &str| {
            value[key].as_str().map(str::to_owned).ok_or_else(|| format!("the firmware manifest has no text `{key}`"))
        };
        let build = Build { version: text("version")?, git_hash: text("git_hash")? };
        let file = text("file")?;
        let size = value["size"].as_u64().ok_or("the firmware manifest has no number `size`")? as usize;
        Ok(Manifest { build, file, size, sha256: text("sha256")?.to_ascii_lowercase() })
    }

    /// Checks the downloaded UF2 against the manifest (`sha256` is the file's digest in lowercase hex): a stale or
    /// half-copied bundle is refused.
    pub fn verify(&self, len: usize, sha256: &str) -> Result<(), String> {
        if len != self.size {
            return Err(format!("the bundled {} has {len} bytes, its manifest says {}", self.file, self.size));
        }
        if sha256 != self.sha256 {
            return Err(format!("the bundled {} does not match its manifest's sha256", self.file));
        }
        Ok(())
    }
}

/// Where the update stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing under way.
    Idle,
    /// The running node was asked to restart into its bootloader; waiting for the bootloader to enumerate.
    Rebooting,
    /// No permitted bootloader is plugged in: BOOTSEL instructions, and one click to allow it.
    NeedsBootloader,
    /// Erasing, writing and verifying: bytes done of the total.
    Flashing { done: u32, total: u32 },
    /// Flashed, verified and rebooted: waiting for the node to enumerate and answer `info`.
    WaitingForNode,
    /// The node runs but the page may not open it yet (a first install): one click on "Connect a node…".
    NeedsNodePermission,
    /// The node answered with the new firmware.
    Done { version: String },
    /// Cut short by the user between sectors (the board waits in its bootloader).
    Cancelled { message: String },
    /// Something failed; the message says what, and that retrying is safe.
    Failed { message: String },
}

/// What happened during an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `system/reboot` (bootloader) was sent to the running node.
    RebootSent,
    /// No permitted bootloader could be found.
    BootloaderMissing,
    /// A sector was verified (or flashing started: `done` 0).
    Progress { done: u32, total: u32 },
    /// Every sector verified and REBOOT2 sent.
    Flashed,
    /// The node did not enumerate as a permitted device in time.
    NodeMissing,
    /// A node answered `info` after flashing: what it runs, and what was flashed when the page knows it (the
    /// bundled image; a UF2 from disk carries no version).
    NodeInfo { running: Build, flashed: Option<Build> },
    /// The flasher stopped with an error.
    FlashFailed(FlashError),
    /// Another failure (the reboot request, the browser's USB, fetching the bundle).
    Failed(String),
}

impl Step {
    /// The step after `event`. `NodeInfo` counts only while waiting for the node (a stale `info` cannot confirm).
    pub fn on(&self, event: Event) -> Step {
        match (self, event) {
            (_, Event::RebootSent) => Step::Rebooting,
            (_, Event::BootloaderMissing) => Step::NeedsBootloader,
            (_, Event::Progress { done, total }) => Step::Flashing { done, total },
            (_, Event::Flashed) => Step::WaitingForNode,
            (Step::WaitingForNode, Event::NodeMissing) => Step::NeedsNodePermission,
            (Step::WaitingForNode | Step::NeedsNodePermission, Event::NodeInfo { running, flashed }) => match flashed {
                Some(flashed) if flashed != running => Step::Failed {
                    message: format!(
                        "the node restarted but reports firmware {} ({}) instead of the flashed {} ({}); flash again",
                        running.version, running.git_hash, flashed.version, flashed.git_hash
                    ),
                },
                _ => Step::Done { version: format!("{} ({})", running.version, running.git_hash) },
            },
            (_, Event::FlashFailed(e @ FlashError::Cancelled { .. })) => Step::Cancelled { message: e.to_string() },
            (_, Event::FlashFailed(e)) => Step::Failed { message: recovery(&e) },
            (_, Event::Failed(message)) => Step::Failed { message },
            (step, _) => step.clone(),
        }
    }

    /// An update is under way: no second one may start.
    pub fn busy(&self) -> bool {
        matches!(self, Step::Rebooting | Step::Flashing { .. } | Step::WaitingForNode)
    }

    /// A short name (the panel's `data-step`, for styling and tests).
    pub fn label(&self) -> &'static str {
        match self {
            Step::Idle => "idle",
            Step::Rebooting => "rebooting",
            Step::NeedsBootloader => "needs-bootloader",
            Step::Flashing { .. } => "flashing",
            Step::WaitingForNode => "waiting-for-node",
            Step::NeedsNodePermission => "needs-node-permission",
            Step::Done { .. } => "done",
            Step::Cancelled { .. } => "cancelled",
            Step::Failed { .. } => "failed",
        }
    }

    /// What the user reads.
    pub fn message(&self) -> String {
        match self {
            Step::Idle => String::new(),
            Step::Rebooting => "The node is restarting into its USB bootloader…".to_owned(),
            Step::NeedsBootloader => "No Pico 2 bootloader is available to this page yet: unplug the board, hold \
                                      BOOTSEL while plugging it back in, then click “Allow the bootloader…” and \
                                      pick “RP2350 Boot”."
                .to_owned(),
            Step::Flashing { .. } => "Erasing, writing and verifying, sector by sector…".to_owned(),
            Step::WaitingForNode => "Flashed and verified. The board restarts into the new firmware…".to_owned(),
            Step::NeedsNodePermission => "Flashed and verified. The new node is running: click “Connect a node…” \
                                          and pick “stapes node” to allow this page to use it."
                .to_owned(),
            Step::Done { version } => format!("Updated: the node runs firmware {version}."),
            Step::Cancelled { message } | Step::Failed { message } => message.clone(),
        }
    }
}

/// The flasher's message, plus what the user must know after a failure on the device: the ROM bootloader cannot be
/// overwritten, so nothing is lost and a retry works (said once; refusals before any command need no such comfort).
fn recovery(e: &FlashError) -> String {
    let message = e.to_string();
    let touched = !matches!(e, FlashError::Uf2(_) | FlashError::WouldErase { .. } | FlashError::WrongChip { .. });
    if touched && !message.contains("ROM bootloader") {
        format!("{message}. The RP2350's ROM bootloader is intact, so nothing is lost: retry.")
    } else {
        message
    }
}

/// "120.0 of 180.0 KiB, 3 s left" (the time left once a sector gives a rate).
pub fn progress_text(done: u32, total: u32, elapsed_ms: f64) -> String {
    let kib = |n: u32| f64::from(n) / 1024.0;
    let left = stapes_flasher::Progress { done, total }
        .remaining_ms(elapsed_ms)
        .map(|ms| format!(", {} s left", (ms / 1000.0).ceil()))
        .unwrap_or_default();
    format!("{:.1} of {:.1} KiB{left}", kib(done), kib(total))
}

/// "stapes-node 0.1.0 (bbb3c8cb9aad): 45 sectors, 180.0 KiB".
pub fn describe(name: &str, uf2: &Uf2) -> String {
    let sectors = uf2.sectors().len() as u32;
    format!("{name}: {sectors} sectors, {:.1} KiB", f64::from(sectors * SECTOR_LEN) / 1024.0)
}

#[cfg(test)]
mod tests {
    use stapes_flasher::uf2::{self, FLASH_BASE, family};

    use super::*;

    fn image(len: u32) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + (i >> 8)) as u8).collect()
    }

    #[test]
    fn a_stapes_image_is_accepted_and_described() {
        let file = uf2::write(FLASH_BASE, &image(10_000), family::RP2350_ARM_S).unwrap();
        let uf2 = check(&file).unwrap();
        assert_eq!(describe("x.uf2", &uf2), "x.uf2: 3 sectors, 12.0 KiB");
    }

    #[test]
    fn wrong_family_truncated_and_settings_overlap_are_refused_with_the_reason() {
        let rp2040 = uf2::write(FLASH_BASE, &image(4096), family::RP2040).unwrap();
        let e = check(&rp2040).unwrap_err();
        assert!(e.starts_with("refused before erasing anything") && e.contains("RP2040"), "{e}");

        let good = uf2::write(FLASH_BASE, &image(4096), family::RP2350_ARM_S).unwrap();
        let e = check(&good[..good.len() - 100]).unwrap_err();
        assert!(e.starts_with("refused before erasing anything"), "{e}");

        // One page inside the settings store.
        let settings = uf2::write(protected().start, &image(256), family::RP2350_ARM_S).unwrap();
        let e = check(&settings).unwrap_err();
        assert!(e.contains("overlaps the node's settings"), "{e}");
        // The page just below them is fine.
        let below = uf2::write(protected().start - 256, &image(256), family::RP2350_ARM_S).unwrap();
        assert!(check(&below).is_ok());
    }

    #[test]
    fn manifest_is_read_and_checks_the_bundle() {
        let json = r#"{ "name": "stapes-node", "version": "0.1.0", "git_hash": "bbb3c8cb9aad", "file": "stapes-node.uf2",
            "size": 368640, "sha256": "88AB" }"#;
        let m = Manifest::parse(json).unwrap();
        assert_eq!(m.build, Build { version: "0.1.0".into(), git_hash: "bbb3c8cb9aad".into() });
        assert_eq!((m.file.as_str(), m.size, m.sha256.as_str()), ("stapes-node.uf2", 368640, "88ab"));
        assert!(m.verify(368640, "88ab").is_ok());
        assert!(m.verify(368639, "88ab").unwrap_err().contains("368639 bytes"));
        assert!(m.verify(368640, "88ac").unwrap_err().contains("sha256"));
        assert!(Manifest::parse(r#"{"version": "0.1.0"}"#).unwrap_err().contains("git_hash"));
        assert!(Manifest::parse("not json").unwrap_err().contains("not JSON"));
    }

    fn build(version: &str, git_hash: &str) -> Build {
        Build { version: version.into(), git_hash: git_hash.into() }
    }

    #[test]
    fn update_from_a_running_node_confirms_the_version() {
        let flashed = Some(build("0.2.0", "abc"));
        let s = Step::Idle.on(Event::RebootSent);
        assert!(s.busy());
        let s = s.on(Event::Progress { done: 0, total: 8192 }).on(Event::Progress { done: 4096, total: 8192 });
        assert_eq!(s, Step::Flashing { done: 4096, total: 8192 });
        let s = s.on(Event::Flashed);
        assert_eq!(s, Step::WaitingForNode);
        let done = s.on(Event::NodeInfo { running: build("0.2.0", "abc"), flashed: flashed.clone() });
        assert_eq!(done, Step::Done { version: "0.2.0 (abc)".into() });
        assert!(!done.busy());
        // The node came back with the old firmware: not a success.
        let old = s.on(Event::NodeInfo { running: build("0.1.0", "def"), flashed });
        assert!(matches!(&old, Step::Failed { message } if message.contains("instead of the flashed 0.2.0")));
        // A UF2 from disk has no version to compare: whatever answers is the result.
        let any = s.on(Event::NodeInfo { running: build("9.9.9", "x"), flashed: None });
        assert_eq!(any, Step::Done { version: "9.9.9 (x)".into() });
    }

    #[test]
    fn first_install_needs_two_clicks_and_stale_info_confirms_nothing() {
        let s = Step::Idle.on(Event::BootloaderMissing);
        assert_eq!(s.label(), "needs-bootloader");
        assert!(s.message().contains("BOOTSEL"));
        let s = s.on(Event::Progress { done: 0, total: 4096 }).on(Event::Flashed).on(Event::NodeMissing);
        assert_eq!(s, Step::NeedsNodePermission);
        assert!(s.message().contains("Connect a node"));
        assert!(matches!(s.on(Event::NodeInfo { running: build("1", "h"), flashed: None }), Step::Done { .. }));
        // `info` outside the wait (the node before the update) is ignored.
        assert_eq!(Step::Idle.on(Event::NodeInfo { running: build("1", "h"), flashed: None }), Step::Idle);
        assert_eq!(Step::Idle.on(Event::NodeMissing), Step::Idle);
    }

    #[test]
    fn failures_and_cancel_are_retryable_and_say_so() {
        let flashing = Step::Flashing { done: 4096, total: 8192 };
        let s = flashing.on(Event::FlashFailed(FlashError::Disconnected { command: "WRITE", done: 4096, total: 8192 }));
        assert_eq!(s.label(), "failed");
        assert!(s.message().contains("ROM bootloader is intact"), "{}", s.message());
        assert!(!s.busy());
        let s = flashing.on(Event::FlashFailed(FlashError::Cancelled { done: 4096, total: 8192 }));
        assert_eq!(s.label(), "cancelled");
        assert!(s.message().contains("4096 of 8192"));
        // Retrying starts over.
        assert_eq!(s.on(Event::Progress { done: 0, total: 8192 }), Step::Flashing { done: 0, total: 8192 });
        // A refusal by the bootloader gets the recovery advice too, once.
        let status = stapes_flasher::picoboot::Status::UNKNOWN_ERROR;
        let s = flashing.on(Event::FlashFailed(FlashError::Rejected { command: "WRITE", addr: Some(4096), status }));
        assert_eq!(s.message().matches("ROM bootloader is intact").count(), 1, "{}", s.message());
        let s = flashing.on(Event::FlashFailed(FlashError::WrongChip { product_id: 3 }));
        assert!(s.message().contains("RP2040") && !s.message().contains("intact"), "{}", s.message());
        let s = Step::Rebooting.on(Event::Failed("no answer".into()));
        assert_eq!(s.message(), "no answer");
    }

    #[test]
    fn progress_reads_bytes_and_time_left() {
        assert_eq!(progress_text(0, 184_320, 0.0), "0.0 of 180.0 KiB");
        // 4 of 45 sectors in 1 s: 41 more take 10.25 s.
        assert_eq!(progress_text(4 * 4096, 45 * 4096, 1000.0), "16.0 of 180.0 KiB, 11 s left");
        assert_eq!(progress_text(45 * 4096, 45 * 4096, 9000.0), "180.0 of 180.0 KiB, 0 s left");
    }
}
