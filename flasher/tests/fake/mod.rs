//! An in-memory RP2350 boot ROM speaking PICOBOOT (4 MiB NOR flash: erase sets 0xFF, programming can only clear
//! bits), with one-shot fault injection. `web/sim/fake-picoboot.js` is the same device for the browser tests.
//!
//! Built from the A2 ROM's source (`raspberrypi/pico-bootrom-rp2350`) and as strict as it where the flasher could
//! tell the difference; each behaviour cites the function it copies. Descriptors are not modelled here: a
//! [`Transport`] is already the claimed PICOBOOT interface, so the one-interface layout after the node's reboot into
//! BOOTSEL (PICOBOOT alone as interface 0) lives in the JS fake, where the page finds and claims the interface.

use core::cell::RefCell;
use core::future::{Future, pending, ready};
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use stapes_flasher::picoboot::{self, Command, CommandStatus, STATUS_LEN, Status, Transport, UsbError};
use stapes_flasher::uf2::{FLASH_BASE, FLASH_LEN, PAGE_LEN, SECTOR_LEN};

/// Bytes in one full-speed bulk packet: the most a one-packet transfer (the host's acknowledgement) may carry.
const PACKET_LEN: usize = 64;

/// A fault the device produces once, then behaves again (a retry must succeed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Stall the `nth` (0-based) command with id `id`, reporting `status` over CMD_STATUS.
    Stall { id: u8, nth: usize, status: Status },
    /// The `nth` WRITE programs one bit wrong yet reports success.
    CorruptWrite { nth: usize },
    /// Vanish when the `nth` command block arrives (cable pulled).
    Disconnect { nth: usize },
    /// The `nth` command with id `id` is accepted, then its flash operation never finishes: no data, no
    /// acknowledgement, until an interface reset aborts it. This is the case the ROM's abort exists for
    /// (`src/main/arm/varm_generic_flash.c: s_varm_flash_abort()`: "a flash programming task ... is locked up").
    Hang { id: u8, nth: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Command,
    DataOut {
        addr: u32,
        size: u32,
    },
    DataIn {
        addr: u32,
        size: u32,
    },
    /// The device owes a zero-length IN.
    AckIn,
    /// The host owes a one-packet OUT.
    AckOut,
    /// A command whose work never finishes ([`Fault::Hang`]): every bulk transfer waits forever.
    Hung,
}

pub struct FakeBootrom {
    pub flash: Vec<u8>,
    pub product_id: u16,
    /// Every command received, in order.
    pub log: Vec<Command>,
    pub rebooted: bool,
    pub exclusive: u8,
    /// The ROM's flash-abort latch: while set, ERASE and WRITE change nothing yet succeed and READ returns zeros.
    pub flash_aborted: bool,
    /// Lengths of the host's OUT acknowledgements, in order.
    pub acks_out: Vec<usize>,
    /// Every timeout the host armed (`Transport::sleep`), in order, in ms.
    pub timeouts: RefCell<Vec<u32>>,
    faults: Vec<Fault>,
    phase: Phase,
    halted: bool,
    disconnected: bool,
    last: CommandStatus,
    seen: Vec<u8>,
    writes: usize,
}

impl FakeBootrom {
    /// An RP2350 ROM whose flash holds an old image (a pattern, not 0xFF, so missed erases show), just enumerated.
    pub fn new() -> Self {
        let flash = (0..FLASH_LEN as usize).map(|i| (i.wrapping_mul(31) >> 3) as u8 ^ 0x5A).collect();
        let mut rom = Self {
            flash,
            product_id: picoboot::RP2350_PRODUCT_ID,
            log: Vec::new(),
            rebooted: false,
            exclusive: 0,
            flash_aborted: false,
            acks_out: Vec::new(),
            timeouts: RefCell::new(Vec::new()),
            faults: Vec::new(),
            phase: Phase::Command,
            halted: false,
            disconnected: false,
            last: CommandStatus { token: 0, status: Status::OK, cmd_id: 0, in_progress: false },
            seen: Vec::new(),
            writes: 0,
        };
        // The host configures a device when it enumerates it.
        rom.configure();
        rom
    }

    pub fn inject(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// SET_CONFIGURATION (enumeration, or a program selecting the configuration again).
    /// `nsboot_usb_client.c: usb_device_on_configure_cb()` aborts flash on every (de)configuration, then resets the
    /// PICOBOOT interface (`_picoboot_reset()`).
    pub fn configure(&mut self) {
        self.flash_aborted = true;
        self.interface_reset();
    }

    /// Plugged back in (BOOTSEL held): the ROM starts afresh and is configured again; flash keeps what it holds.
    pub fn reconnect(&mut self) {
        self.disconnected = false;
        self.rebooted = false;
        self.halted = false;
        self.phase = Phase::Command;
        self.exclusive = 0;
        self.configure();
    }

    /// The flash bytes at a flash address.
    pub fn at(&self, addr: u32, len: usize) -> &[u8] {
        let at = (addr - FLASH_BASE) as usize;
        &self.flash[at..at + len]
    }

    /// `nsboot_usb_client.c: _picoboot_reset()`: soft-resets both endpoints (cancels their transfers, clears their
    /// halts), aborts flash if a command is in progress, zeroes the command status and resets the task queues,
    /// which "also clears exclusive access".
    fn interface_reset(&mut self) {
        if self.last.in_progress {
            self.flash_aborted = true;
        }
        self.halted = false;
        self.phase = Phase::Command;
        self.last = CommandStatus { token: 0, status: Status::OK, cmd_id: 0, in_progress: false };
        self.exclusive = 0;
    }

    fn take_fault(&mut self, pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let i = self.faults.iter().position(pick)?;
        Some(self.faults.remove(i))
    }

    /// Halts both endpoints with `status` (`nsboot_usb_client.c: _picoboot_cmd_packet_internal()`, label `halt`,
    /// and `atc_chunk_task_done()`, which also ends the command's in-progress state).
    fn fail(&mut self, status: Status) {
        self.halted = true;
        self.last.status = status;
        self.last.in_progress = false;
        self.phase = Phase::Command;
    }

    /// `nsboot_async_task.c: _execute_task()`: erase needs 4 KiB alignment, flash read and write a 256-byte-aligned
    /// address (checked per 256-byte chunk, so a misaligned READ is refused too). Unlike the ROM (any address in the
    /// 16 MiB window) the fake knows only its 4 MiB.
    fn check_range(addr: u32, size: u32, align: u32) -> Status {
        let end = u64::from(addr) + u64::from(size);
        if addr < FLASH_BASE || end > u64::from(FLASH_BASE + FLASH_LEN) {
            Status::INVALID_ADDRESS
        } else if !addr.is_multiple_of(align) || !size.is_multiple_of(align) {
            Status::BAD_ALIGNMENT
        } else {
            Status::OK
        }
    }

    fn command(&mut self, block: &[u8]) -> Result<(), UsbError> {
        let (token, command) = match Command::decode(block) {
            Ok(decoded) => decoded,
            Err(_) => {
                self.fail(Status(1));
                return Ok(());
            }
        };
        let nth = self.seen.len();
        if self.take_fault(|f| *f == Fault::Disconnect { nth }).is_some() {
            self.disconnected = true;
            return Err(UsbError::Disconnected);
        }
        let id = command.id();
        let nth_of_id = self.seen.iter().filter(|&&s| s == id).count();
        self.seen.push(id);
        self.log.push(command);
        // `_picoboot_cmd_packet_internal()`: a command that passes the checks is in progress until its
        // acknowledgement starts (`picoboot_ack()`); REBOOT2 is acknowledged at once.
        let in_progress = !matches!(command, Command::Reboot2 { .. });
        self.last = CommandStatus { token, status: Status::OK, cmd_id: id, in_progress };
        if let Some(Fault::Stall { status, .. }) =
            self.take_fault(|f| matches!(*f, Fault::Stall { id: i, nth: n, .. } if i == id && n == nth_of_id))
        {
            self.fail(status);
            return Ok(());
        }
        if self.take_fault(|f| *f == Fault::Hang { id, nth: nth_of_id }).is_some() {
            self.phase = Phase::Hung;
            return Ok(());
        }
        let status = match command {
            Command::FlashErase { addr, size } => Self::check_range(addr, size, SECTOR_LEN),
            Command::Write { addr, size } => Self::check_range(addr, size, PAGE_LEN),
            Command::Read { addr, size } => Self::check_range(addr, size, PAGE_LEN),
            Command::ExclusiveAccess(_) | Command::ExitXip | Command::Reboot2 { .. } => Status::OK,
        };
        if status != Status::OK {
            self.fail(status);
            return Ok(());
        }
        self.phase = match command {
            Command::ExclusiveAccess(mode) => {
                self.exclusive = mode;
                self.ack_in()
            }
            Command::ExitXip => {
                // `nsboot_async_task.c: _do_flash_exit_xip()`: "On RP2350 this just clears the flash abort".
                self.flash_aborted = false;
                self.ack_in()
            }
            Command::FlashErase { addr, size } => {
                // `varm_generic_flash.c: s_varm_api_flash_range_erase()` loops `while (... &&
                // !s_varm_flash_was_aborted())`: aborted, it erases nothing and returns success.
                if !self.flash_aborted {
                    let at = (addr - FLASH_BASE) as usize;
                    self.flash[at..at + size as usize].fill(0xFF);
                }
                self.ack_in()
            }
            Command::Write { addr, size } => Phase::DataOut { addr, size },
            Command::Read { addr, size } => Phase::DataIn { addr, size },
            Command::Reboot2 { .. } => Phase::AckIn,
        };
        Ok(())
    }

    /// `picoboot_ack()`: the command is no longer in progress once its acknowledgement starts.
    fn ack_in(&mut self) -> Phase {
        self.last.in_progress = false;
        Phase::AckIn
    }
}

impl Transport for FakeBootrom {
    fn product_id(&self) -> u16 {
        self.product_id
    }

    async fn bulk_out(&mut self, data: &[u8]) -> Result<(), UsbError> {
        if self.disconnected {
            return Err(UsbError::Disconnected);
        }
        if self.halted {
            return Err(UsbError::Stall);
        }
        match self.phase {
            Phase::Command => self.command(data),
            Phase::Hung => pending().await,
            Phase::DataOut { addr, size } if data.len() == size as usize => {
                // `s_varm_api_flash_range_program()` stops at once while aborted: nothing is programmed.
                if !self.flash_aborted {
                    let at = (addr - FLASH_BASE) as usize;
                    for (cell, &byte) in self.flash[at..].iter_mut().zip(data) {
                        *cell &= byte; // NOR: programming only clears bits
                    }
                    let nth = self.writes;
                    self.writes += 1;
                    if self.take_fault(|f| *f == Fault::CorruptWrite { nth }).is_some() {
                        self.flash[at + 100] ^= 0x04;
                    }
                }
                self.phase = self.ack_in();
                Ok(())
            }
            // `picoboot_ack()` starts `usb_start_empty_transfer()` on the OUT endpoint: a one-packet transfer that
            // takes any single packet (`usb_device.c: usb_current_packet_only_transfer_type`); a second packet would
            // be read as a command.
            Phase::AckOut if data.len() <= PACKET_LEN => {
                self.acks_out.push(data.len());
                self.phase = Phase::Command;
                Ok(())
            }
            _ => {
                self.fail(Status(3)); // INVALID_TRANSFER_LENGTH
                Err(UsbError::Stall)
            }
        }
    }

    async fn bulk_in(&mut self, buf: &mut [u8]) -> Result<usize, UsbError> {
        if self.disconnected {
            return Err(UsbError::Disconnected);
        }
        if self.halted {
            return Err(UsbError::Stall);
        }
        match self.phase {
            Phase::Hung => pending().await,
            Phase::DataIn { addr, size } if buf.len() >= size as usize => {
                let size = size as usize;
                if self.flash_aborted {
                    // `s_varm_flash_abort()` forces the flash data input (SD1) low: every byte reads as zero.
                    buf[..size].fill(0);
                } else {
                    buf[..size].copy_from_slice(self.at(addr, size));
                }
                self.last.in_progress = false;
                self.phase = Phase::AckOut;
                Ok(size)
            }
            Phase::AckIn => {
                self.phase = Phase::Command;
                if matches!(self.log.last(), Some(Command::Reboot2 { .. })) {
                    self.rebooted = true;
                    self.disconnected = true;
                }
                Ok(0)
            }
            _ => {
                self.fail(Status(9)); // INVALID_STATE
                Err(UsbError::Stall)
            }
        }
    }

    async fn control_out(&mut self, request: u8) -> Result<(), UsbError> {
        if self.disconnected {
            return Err(UsbError::Disconnected);
        }
        // `picoboot_setup_request_handler()`: only IF_RESET; anything else is unhandled and the control pipe stalls.
        if request != picoboot::IF_RESET {
            return Err(UsbError::Stall);
        }
        self.interface_reset();
        Ok(())
    }

    async fn control_in(&mut self, request: u8, buf: &mut [u8]) -> Result<usize, UsbError> {
        if self.disconnected {
            return Err(UsbError::Disconnected);
        }
        // `picoboot_setup_request_handler()` answers IF_CMD_STATUS only when `wLength ==
        // sizeof(_picoboot_current_cmd_status)` (16); any other length is unhandled and stalls.
        if request != picoboot::IF_CMD_STATUS || buf.len() != STATUS_LEN {
            return Err(UsbError::Stall);
        }
        buf.copy_from_slice(&self.last.encode());
        Ok(STATUS_LEN)
    }

    async fn clear_halt(&mut self) -> Result<(), UsbError> {
        if self.disconnected {
            return Err(UsbError::Disconnected);
        }
        // CLEAR_FEATURE(ENDPOINT_HALT) (`usb_device.c`, `USB_REQUEST_CLEAR_FEATURE`) hard-resets the endpoint
        // (`usb_reset_endpoint()`): its transfer is cancelled, its halt cleared and the OUT endpoint waits for a
        // command again. The command's in-progress state is left as it was.
        self.halted = false;
        self.phase = Phase::Command;
        Ok(())
    }

    /// The fake's clock: a timer that has already run out, so a transfer the fake answers always wins the race and
    /// one it never answers ([`Fault::Hang`]) loses it. Records the timeout.
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> + 'static {
        self.timeouts.borrow_mut().push(ms);
        ready(())
    }
}

/// Runs a future whose every await is ready at once (the fake never waits, except when it hangs, and then the
/// flasher's timer is ready).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the fake transport never waits, so nothing may be pending"),
    }
}
