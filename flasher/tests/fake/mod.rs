//! An in-memory RP2350 bootrom speaking PICOBOOT (4 MiB NOR flash: erase sets 0xFF, programming can only clear
//! bits), with one-shot fault injection. `web/sim/fake-picoboot.js` is the same device for the browser tests.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use stapes_flasher::picoboot::{self, Command, CommandStatus, Status, Transport, UsbError};
use stapes_flasher::uf2::{FLASH_BASE, FLASH_LEN, PAGE_LEN, SECTOR_LEN};

/// A fault the device produces once, then behaves again (a retry must succeed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Stall the `nth` (0-based) command with id `id`, reporting `status` over CMD_STATUS.
    Stall { id: u8, nth: usize, status: Status },
    /// The `nth` WRITE programs one bit wrong yet reports success.
    CorruptWrite { nth: usize },
    /// Vanish when the `nth` command block arrives (cable pulled).
    Disconnect { nth: usize },
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
    /// The host owes a zero-length OUT.
    AckOut,
}

pub struct FakeBootrom {
    pub flash: Vec<u8>,
    pub product_id: u16,
    /// Every command received, in order.
    pub log: Vec<Command>,
    pub rebooted: bool,
    pub exclusive: u8,
    faults: Vec<Fault>,
    phase: Phase,
    halted: bool,
    disconnected: bool,
    last: CommandStatus,
    seen: Vec<u8>,
    writes: usize,
}

impl FakeBootrom {
    /// An RP2350 bootrom whose flash holds an old image (a pattern, not 0xFF, so missed erases show).
    pub fn new() -> Self {
        let flash = (0..FLASH_LEN as usize).map(|i| (i.wrapping_mul(31) >> 3) as u8 ^ 0x5A).collect();
        Self {
            flash,
            product_id: picoboot::RP2350_PRODUCT_ID,
            log: Vec::new(),
            rebooted: false,
            exclusive: 0,
            faults: Vec::new(),
            phase: Phase::Command,
            halted: false,
            disconnected: false,
            last: CommandStatus { token: 0, status: Status::OK, cmd_id: 0, in_progress: false },
            seen: Vec::new(),
            writes: 0,
        }
    }

    pub fn inject(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// Plugged back in (BOOTSEL held): the bootrom starts afresh, flash keeps what it holds.
    pub fn reconnect(&mut self) {
        self.disconnected = false;
        self.halted = false;
        self.phase = Phase::Command;
        self.rebooted = false;
        self.exclusive = 0;
    }

    /// The flash bytes at a flash address.
    pub fn at(&self, addr: u32, len: usize) -> &[u8] {
        let at = (addr - FLASH_BASE) as usize;
        &self.flash[at..at + len]
    }

    fn take_fault(&mut self, pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let i = self.faults.iter().position(pick)?;
        Some(self.faults.remove(i))
    }

    fn fail(&mut self, status: Status) {
        self.halted = true;
        self.last.status = status;
        self.phase = Phase::Command;
    }

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
        self.last = CommandStatus { token, status: Status::OK, cmd_id: id, in_progress: false };
        if let Some(Fault::Stall { status, .. }) =
            self.take_fault(|f| matches!(*f, Fault::Stall { id: i, nth: n, .. } if i == id && n == nth_of_id))
        {
            self.fail(status);
            return Ok(());
        }
        let status = match command {
            Command::FlashErase { addr, size } => Self::check_range(addr, size, SECTOR_LEN),
            Command::Write { addr, size } => Self::check_range(addr, size, PAGE_LEN),
            Command::Read { addr, size } => Self::check_range(addr, size, 1),
            Command::ExclusiveAccess(_) | Command::Reboot2 { .. } => Status::OK,
        };
        if status != Status::OK {
            self.fail(status);
            return Ok(());
        }
        self.phase = match command {
            Command::ExclusiveAccess(mode) => {
                self.exclusive = mode;
                Phase::AckIn
            }
            Command::FlashErase { addr, size } => {
                let at = (addr - FLASH_BASE) as usize;
                self.flash[at..at + size as usize].fill(0xFF);
                Phase::AckIn
            }
            Command::Write { addr, size } => Phase::DataOut { addr, size },
            Command::Read { addr, size } => Phase::DataIn { addr, size },
            Command::Reboot2 { .. } => Phase::AckIn,
        };
        Ok(())
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
            Phase::DataOut { addr, size } if data.len() == size as usize => {
                let at = (addr - FLASH_BASE) as usize;
                for (cell, &byte) in self.flash[at..].iter_mut().zip(data) {
                    *cell &= byte; // NOR: programming only clears bits
                }
                let nth = self.writes;
                self.writes += 1;
                if self.take_fault(|f| *f == Fault::CorruptWrite { nth }).is_some() {
                    self.flash[at + 100] ^= 0x04;
                }
                self.phase = Phase::AckIn;
                Ok(())
            }
            Phase::AckOut if data.is_empty() => {
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
            Phase::DataIn { addr, size } if buf.len() >= size as usize => {
                let size = size as usize;
                buf[..size].copy_from_slice(self.at(addr, size));
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
        if request != picoboot::IF_RESET {
            return Err(UsbError::Stall);
        }
        self.halted = false;
        self.phase = Phase::Command;
        Ok(())
    }

    async fn control_in(&mut self, request: u8, buf: &mut [u8]) -> Result<usize, UsbError> {
        if self.disconnected {
            return Err(UsbError::Disconnected);
        }
        if request != picoboot::IF_CMD_STATUS {
            return Err(UsbError::Stall);
        }
        let reply = self.last.encode();
        let n = reply.len().min(buf.len());
        buf[..n].copy_from_slice(&reply[..n]);
        Ok(n)
    }

    async fn clear_halt(&mut self) -> Result<(), UsbError> {
        if self.disconnected { Err(UsbError::Disconnected) } else { Ok(()) }
    }
}

/// Runs a future whose every await is ready at once (the fake never waits).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the fake transport never waits, so nothing may be pending"),
    }
}
