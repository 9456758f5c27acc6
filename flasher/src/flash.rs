//! Flashing a validated UF2 through PICOBOOT: per 4 KiB sector erase, write, read back and compare, then reboot.
//!
//! Every flash command is preceded by EXIT_XIP, as picotool does (`main.cpp: picoboot_memory_access::read_raw()` and
//! `write()` call `connection.exit_xip()` before each flash access, and `picoboot_connection.c: picoboot_exit_xip()`
//! skips it only while `definitely_exclusive`, which its `picoboot_cmd()` clears after every FLASH_ERASE). On the
//! RP2350 ROM, EXIT_XIP is what clears the flash-abort latch set by every SET_CONFIGURATION
//! (`pico-bootrom-rp2350 src/nsboot/nsboot_usb_client.c: usb_device_on_configure_cb()`); while it is set, ERASE and
//! WRITE do nothing yet succeed and READ returns zeros.
//!
//! Every transfer is timed out as in picotool (see [`COMMAND_MS`]); after a timeout the interface is reset, its
//! halts cleared and EXIT_XIP sent again, so the next attempt starts clean.
//!
//! The boot sector (the lowest one, which holds the RP2350 IMAGE_DEF) is erased first and written last, so an update
//! cut short at any point leaves flash without a bootable image: the RP2350 then comes up in the ROM bootloader
//! by itself and the update can simply be retried.

use alloc::vec::Vec;
use core::fmt;
use core::future::{Future, poll_fn};
use core::ops::{ControlFlow, Range};
use core::pin::pin;
use core::task::Poll;

use crate::picoboot::{self, Command, CommandStatus, Status, Transport, UsbError};
use crate::uf2::{SECTOR_LEN, Sector, Uf2, Uf2Error};

/// How far an update is: bytes flashed (erased, written and verified) out of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes done.
    pub done: u32,
    /// Bytes in the whole update (4096 per sector).
    pub total: u32,
}

impl Progress {
    /// Time left, extrapolated from the rate so far (`None` before the first sector is done).
    pub fn remaining_ms(&self, elapsed_ms: f64) -> Option<f64> {
        (self.done > 0).then(|| elapsed_ms * f64::from(self.total - self.done) / f64::from(self.done))
    }
}

/// Why an update failed. Every variant leaves the device retryable: the ROM bootloader is never touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashError {
    /// The file is not a valid stapes UF2 (refused before anything is sent to the device).
    Uf2(Uf2Error),
    /// The device is not an RP2350 bootrom.
    WrongChip { product_id: u16 },
    /// The UF2 would erase a range that must survive updates (the node's settings).
    WouldErase { protected: Range<u32>, image: Range<u32> },
    /// The bootloader refused a command; CMD_STATUS gave the reason.
    Rejected { command: &'static str, addr: Option<u32>, status: Status },
    /// An endpoint stalled and the bootloader gave no reason.
    Stalled { command: &'static str, addr: Option<u32> },
    /// The device went away (unplugged, or reset) during a command.
    Disconnected { command: &'static str, done: u32, total: u32 },
    /// The bootloader did not answer a transfer of `command` within `ms`. `recovered`: the interface was then reset
    /// and EXIT_XIP sent again successfully, so a retry starts clean.
    TimedOut { command: &'static str, addr: Option<u32>, ms: u32, recovered: bool },
    /// The device answered with the wrong number of bytes.
    ShortTransfer { command: &'static str, expected: usize, got: usize },
    /// The sector read back differs from what was written, first at `addr`.
    VerifyMismatch { addr: u32 },
    /// The USB stack failed otherwise.
    Usb { command: &'static str, message: alloc::string::String },
    /// Cancelled by the user between sectors.
    Cancelled { done: u32, total: u32 },
}

/// What to tell the user after an interrupted update: the bootrom cannot be overwritten, so retrying always works.
const RETRY: &str = "the RP2350's ROM bootloader is intact, so nothing is lost: retry the update (if the board is no \
                     longer listed, unplug it, hold BOOTSEL while plugging it back in, and retry)";

impl fmt::Display for FlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |addr: &Option<u32>| addr.map(|a| alloc::format!(" at {a:#010x}")).unwrap_or_default();
        match self {
            Self::Uf2(e) => write!(f, "refused before erasing anything: {e}"),
            Self::WrongChip { product_id } if *product_id == picoboot::RP2040_PRODUCT_ID => {
                write!(f, "this is an RP2040 (Pico 1) bootloader; the stapes node needs an RP2350 board (Pico 2)")
            }
            Self::WrongChip { product_id } => write!(
                f,
                "the device (product id {product_id:#06x}) is not an RP2350 bootloader (2e8a:000f); hold BOOTSEL \
                 on a Pico 2 while plugging it in"
            ),
            Self::WouldErase { protected, image } => write!(
                f,
                "refused before erasing anything: this UF2 covers {:#010x}..{:#010x}, which overlaps the node's \
                 settings at {:#010x}..{:#010x}; it is not a stapes firmware image",
                image.start, image.end, protected.start, protected.end
            ),
            Self::Rejected { command, addr, status } => {
                write!(f, "the bootloader refused {command}{}: {status}; {}", at(addr), status.hint())
            }
            Self::Stalled { command, addr } => {
                write!(f, "the bootloader stalled during {command}{} without giving a reason; {RETRY}", at(addr))
            }
            Self::Disconnected { command, done, total } => {
                write!(f, "the board disconnected during {command} after {done} of {total} bytes; {RETRY}")
            }
            Self::TimedOut { command, addr, ms, recovered: true } => write!(
                f,
                "the bootloader did not answer {command}{} within {} s; the interface was reset and is ready \
                 again, so retry the update (if it stops again, unplug the board, hold BOOTSEL while plugging it back \
                 in, and retry)",
                at(addr),
                ms / 1000
            ),
            Self::TimedOut { command, addr, ms, recovered: false } => write!(
                f,
                "the bootloader did not answer {command}{} within {} s, nor to an interface reset; {RETRY}",
                at(addr),
                ms / 1000
            ),
            Self::ShortTransfer { command, expected, got } => {
                write!(f, "the bootloader answered {command} with {got} bytes instead of {expected}; {RETRY}")
            }
            Self::VerifyMismatch { addr } => write!(
                f,
                "verification failed: flash at {addr:#010x} differs from the image after writing (worn or faulty \
                 flash, or a bad connection); {RETRY}"
            ),
            Self::Usb { command, message } => write!(f, "USB error during {command}: {message}; {RETRY}"),
            Self::Cancelled { done, total } => write!(
                f,
                "cancelled after {done} of {total} bytes; the board stays in its bootloader until an update \
                 completes, so flash again to finish"
            ),
        }
    }
}

impl core::error::Error for FlashError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Uf2(e) => Some(e),
            _ => None,
        }
    }
}

/// How long REBOOT2 waits before rebooting, so its acknowledgement gets out first.
const REBOOT_DELAY_MS: u32 = 500;

/// Timeout for sending a command block (picotool `picoboot_connection.c: picoboot_cmd()`, 3000 ms).
pub const COMMAND_MS: u32 = 3000;
/// Timeout for a data phase; also for the acknowledgement of a command without data, since the ROM does the
/// command's work (an erase) before acknowledging (`picoboot_cmd()`: `timeout = 10000`).
pub const DATA_MS: u32 = 10_000;
/// Timeout for the acknowledgement after a data phase (`picoboot_cmd()`: `dTransferLength == 0 ? timeout : 3000`).
pub const ACK_AFTER_DATA_MS: u32 = 3000;
/// Timeout for the control requests and clearing halts (`picoboot_reset()`, `picoboot_cmd_status()`: 1000 ms).
pub const CONTROL_MS: u32 = 1000;

/// Runs `transfer` unless `timer` fires first (then [`UsbError::Timeout`]; the transfer is dropped unfinished).
async fn within<R>(
    timer: impl Future<Output = ()>,
    transfer: impl Future<Output = Result<R, UsbError>>,
) -> Result<R, UsbError> {
    let (mut timer, mut transfer) = (pin!(timer), pin!(transfer));
    poll_fn(|cx| {
        if let Poll::Ready(out) = transfer.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        timer.as_mut().poll(cx).map(|()| Err(UsbError::Timeout))
    })
    .await
}

/// A failed transfer and how long the flasher was prepared to wait for it.
struct Failure {
    error: UsbError,
    waited_ms: u32,
}

/// A PICOBOOT client that flashes UF2 images over a [`Transport`].
pub struct Flasher<T> {
    transport: T,
    token: u32,
    protected: Vec<Range<u32>>,
}

impl<T: Transport> Flasher<T> {
    /// A flasher over `transport` (the claimed PICOBOOT interface).
    pub fn new(transport: T) -> Self {
        Self { transport, token: 0, protected: Vec::new() }
    }

    /// Refuse any image whose sectors overlap `range` (flash addresses): the node's settings survive updates.
    pub fn protect(mut self, range: Range<u32>) -> Self {
        self.protected.push(range);
        self
    }

    /// Gives the transport back (to close it, or to flash again after a fault).
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Validates `file` ([`Uf2::parse`]) and flashes it: a bad file is refused before anything reaches the device.
    pub async fn flash_file(
        &mut self,
        file: &[u8],
        progress: impl FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<(), FlashError> {
        let uf2 = Uf2::parse(file).map_err(FlashError::Uf2)?;
        self.flash(&uf2, progress).await
    }

    /// Flashes `uf2` and reboots into it. `progress` is called after every sector with the bytes done so far; its
    /// returning `Break` cancels the update there (never mid-sector). After any error the device stays in the ROM
    /// bootloader and `flash` can be called again (on a new transport after a disconnect). A device that vanishes
    /// during the final REBOOT2 counts as success: every sector was verified by then.
    pub async fn flash(
        &mut self,
        uf2: &Uf2,
        mut progress: impl FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<(), FlashError> {
        let product_id = self.transport.product_id();
        if product_id != picoboot::RP2350_PRODUCT_ID {
            return Err(FlashError::WrongChip { product_id });
        }
        let sectors = uf2.sectors();
        for p in &self.protected {
            if sectors.iter().any(|s| p.start < s.addr + SECTOR_LEN && s.addr < p.end) {
                return Err(FlashError::WouldErase { protected: p.clone(), image: uf2.erase_range() });
            }
        }
        let total = sectors.len() as u32 * SECTOR_LEN;
        let mut state = Progress { done: 0, total };
        self.reset(state).await?;
        self.run(Command::ExclusiveAccess(picoboot::EXCLUSIVE_AND_EJECT), &mut [], state).await?;
        let Some((boot, rest)) = sectors.split_first() else { return Ok(()) };
        self.flash_command(Command::FlashErase { addr: boot.addr, size: SECTOR_LEN }, &mut [], state).await?;
        for sector in rest {
            self.program(sector, true, state).await?;
            state.done += SECTOR_LEN;
            if progress(state).is_break() {
                return Err(FlashError::Cancelled { done: state.done, total });
            }
        }
        self.program(boot, false, state).await?;
        state.done += SECTOR_LEN;
        // Cancelling now would change nothing: the image is complete.
        let _ = progress(state);
        let reboot =
            Command::Reboot2 { flags: picoboot::REBOOT2_NORMAL, delay_ms: REBOOT_DELAY_MS, param0: 0, param1: 0 };
        match self.run(reboot, &mut [], state).await {
            // Gone before acknowledging: it rebooted early (or was unplugged). Either way the image is complete and
            // verified, and the caller's next step, waiting for the node to enumerate, tells which.
            Err(FlashError::Disconnected { .. }) => Ok(()),
            other => other,
        }
    }

    /// Erases (if `erase`), writes, reads back and compares one sector.
    async fn program(&mut self, sector: &Sector, erase: bool, state: Progress) -> Result<(), FlashError> {
        let (addr, size) = (sector.addr, SECTOR_LEN);
        if erase {
            self.flash_command(Command::FlashErase { addr, size }, &mut [], state).await?;
        }
        let mut data = *sector.data;
        self.flash_command(Command::Write { addr, size }, &mut data, state).await?;
        let mut back = [0u8; SECTOR_LEN as usize];
        self.flash_command(Command::Read { addr, size }, &mut back, state).await?;
        match back.iter().zip(sector.data.iter()).position(|(a, b)| a != b) {
            Some(i) => Err(FlashError::VerifyMismatch { addr: addr + i as u32 }),
            None => Ok(()),
        }
    }

    /// EXIT_XIP, then `command` (a flash ERASE, WRITE or READ): see the module docs for why every time.
    async fn flash_command(&mut self, command: Command, data: &mut [u8], state: Progress) -> Result<(), FlashError> {
        self.run(Command::ExitXip, &mut [], state).await?;
        self.run(command, data, state).await
    }

    /// Clears the halts, then IF_RESET: a clean interface whatever happened before (the order of picotool's
    /// `picoboot_reset()`).
    async fn reset(&mut self, state: Progress) -> Result<(), FlashError> {
        let name = "interface reset";
        let timer = self.transport.sleep(CONTROL_MS);
        within(timer, self.transport.clear_halt()).await.map_err(|e| usb_error(e, name, None, CONTROL_MS, state))?;
        let timer = self.transport.sleep(CONTROL_MS);
        within(timer, self.transport.control_out(picoboot::IF_RESET))
            .await
            .map_err(|e| usb_error(e, name, None, CONTROL_MS, state))
    }

    /// Runs one command: command block, data phase (`data` out, or filled in), acknowledgement.
    async fn run(&mut self, command: Command, data: &mut [u8], state: Progress) -> Result<(), FlashError> {
        self.token = self.token.wrapping_add(1);
        match self.exchange(command, data).await {
            Ok(()) => Ok(()),
            Err(Failure { error: UsbError::Stall, .. }) => Err(self.explain_stall(command, state).await),
            Err(Failure { error: UsbError::Timeout, waited_ms }) => Err(self.recover(command, waited_ms, state).await),
            Err(Failure { error, waited_ms }) => {
                Err(usb_error(error, command.name(), command.addr(), waited_ms, state))
            }
        }
    }

    /// The three stages of a command, each timed out as picotool does.
    async fn exchange(&mut self, command: Command, data: &mut [u8]) -> Result<(), Failure> {
        let fail = |waited_ms| move |error| Failure { error, waited_ms };
        let timer = self.transport.sleep(COMMAND_MS);
        within(timer, self.transport.bulk_out(&command.encode(self.token))).await.map_err(fail(COMMAND_MS))?;
        let ack_ms = if data.is_empty() { DATA_MS } else { ACK_AFTER_DATA_MS };
        if command.is_in() {
            let timer = self.transport.sleep(DATA_MS);
            let got = within(timer, self.transport.bulk_in(data)).await.map_err(fail(DATA_MS))?;
            if got != data.len() {
                return Err(fail(DATA_MS)(UsbError::Other(alloc::format!("{got} of {} bytes read", data.len()))));
            }
            let timer = self.transport.sleep(ack_ms);
            within(timer, self.transport.bulk_out(&picoboot::ACK_OUT)).await.map_err(fail(ack_ms))
        } else {
            if !data.is_empty() {
                let timer = self.transport.sleep(DATA_MS);
                within(timer, self.transport.bulk_out(data)).await.map_err(fail(DATA_MS))?;
            }
            let timer = self.transport.sleep(ack_ms);
            let got = within(timer, self.transport.bulk_in(&mut [0u8; 1])).await.map_err(fail(ack_ms))?;
            if got != 0 {
                let message = alloc::format!("{got}-byte acknowledgement (expected none)");
                return Err(fail(ack_ms)(UsbError::Other(message)));
            }
            Ok(())
        }
    }

    /// After a stall: ask CMD_STATUS why, then reset the interface so the next attempt starts clean.
    async fn explain_stall(&mut self, command: Command, state: Progress) -> FlashError {
        let (name, addr) = (command.name(), command.addr());
        let mut reply = [0u8; picoboot::STATUS_LEN];
        let timer = self.transport.sleep(CONTROL_MS);
        let status = match within(timer, self.transport.control_in(picoboot::IF_CMD_STATUS, &mut reply)).await {
            Ok(n) => CommandStatus::decode(&reply[..n]),
            Err(e) => return usb_error(e, name, addr, CONTROL_MS, state),
        };
        if let Err(e) = self.reset(state).await {
            return e;
        }
        match status {
            Some(s) if s.token == self.token && s.status != Status::OK => {
                FlashError::Rejected { command: name, addr, status: s.status }
            }
            _ => FlashError::Stalled { command: name, addr },
        }
    }

    /// After a timeout: clear the halts and reset the interface (which aborts the ROM's stuck flash operation and
    /// sets its flash-abort latch, `nsboot_usb_client.c: _picoboot_reset()`), then EXIT_XIP to clear the latch again.
    async fn recover(&mut self, command: Command, ms: u32, state: Progress) -> FlashError {
        let recovered = self.reset(state).await.is_ok() && {
            self.token = self.token.wrapping_add(1);
            self.exchange(Command::ExitXip, &mut []).await.is_ok()
        };
        FlashError::TimedOut { command: command.name(), addr: command.addr(), ms, recovered }
    }
}

/// Maps a transport failure during `command` to the error the user sees.
fn usb_error(e: UsbError, command: &'static str, addr: Option<u32>, ms: u32, state: Progress) -> FlashError {
    match e {
        UsbError::Disconnected => FlashError::Disconnected { command, done: state.done, total: state.total },
        UsbError::Stall => FlashError::Stalled { command, addr },
        UsbError::Timeout => FlashError::TimedOut { command, addr, ms, recovered: false },
        UsbError::Other(message) => FlashError::Usb { command, message },
    }
}
