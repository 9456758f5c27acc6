//! The PICOBOOT wire protocol of the RP2350 bootrom (pico-sdk `boot/picoboot.h`), and the USB [`Transport`] it runs
//! over.
//!
//! A command is a 32-byte block on the bulk OUT endpoint. If it has a data phase, `transfer_len` bytes follow on
//! bulk IN (command ids with the top bit set) or bulk OUT. The acknowledgement then goes the opposite way of the data:
//! a zero-length IN from the device after OUT commands, one short OUT packet from the host after IN commands (the boot
//! ROM takes any single packet there; picotool sends one byte, and so does this crate, see [`ACK_OUT`]). On an error
//! the device stalls the endpoint; the host reads why with the CMD_STATUS control request and clears it with IF_RESET.

use alloc::string::String;
use core::fmt;
use core::future::Future;

/// Raspberry Pi's USB vendor id.
pub const VENDOR_ID: u16 = 0x2e8a;
/// The RP2350 bootrom (BOOTSEL mode).
pub const RP2350_PRODUCT_ID: u16 = 0x000f;
/// The RP2040 bootrom: a Pico 1, which cannot run the stapes firmware.
pub const RP2040_PRODUCT_ID: u16 = 0x0003;
/// The PICOBOOT interface is the vendor-class one (the other is mass storage).
pub const INTERFACE_CLASS: u8 = 0xFF;

/// First word of every command.
pub const MAGIC: u32 = 0x431f_d10b;
/// Bytes in a command block.
pub const COMMAND_LEN: usize = 32;
/// Bytes in a CMD_STATUS reply.
pub const STATUS_LEN: usize = 16;
/// Vendor control request (to the interface): reset the PICOBOOT interface and clear its stalls.
pub const IF_RESET: u8 = 0x41;
/// Vendor control request (from the interface): the status of the last command.
pub const IF_CMD_STATUS: u8 = 0x42;

/// The host's acknowledgement after an IN command. picotool (`picoboot_connection.c: picoboot_cmd()`) sends one byte
/// (`libusb_bulk_transfer(.., out_ep, spoon, 1, ..)`); the ROM would take a zero-length packet too, but not every OS
/// USB stack under WebUSB is known to put a zero-length bulk OUT on the wire, while one byte always goes out.
pub const ACK_OUT: [u8; 1] = [0];

/// `EXCLUSIVE_ACCESS` argument: lock out the mass-storage (drag-and-drop) path and eject its drive while flashing.
pub const EXCLUSIVE_AND_EJECT: u8 = 2;
/// `REBOOT2` flags: a normal boot from flash.
pub const REBOOT2_NORMAL: u32 = 0x0;

/// A PICOBOOT command (the subset the flasher uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Lock out the mass-storage interface (`bExclusive`).
    ExclusiveAccess(u8),
    /// Leave XIP mode. On the RP2350 ROM its one effect is to clear the flash-abort latch that every
    /// SET_CONFIGURATION (and an interface reset during a command) sets, while which ERASE and WRITE do nothing yet
    /// succeed and READ returns zeros; so it must precede every flash command, as in picotool.
    ExitXip,
    /// Erase `size` bytes at `addr` (both 4096-aligned).
    FlashErase { addr: u32, size: u32 },
    /// Program `size` bytes at `addr` (256-aligned, erased beforehand); the data follows on bulk OUT.
    Write { addr: u32, size: u32 },
    /// Read `size` bytes at `addr`; the data comes back on bulk IN.
    Read { addr: u32, size: u32 },
    /// Reboot the RP2350 (`dFlags`, `dDelayMS`, `dParam0`, `dParam1`).
    Reboot2 { flags: u32, delay_ms: u32, param0: u32, param1: u32 },
}

/// A command block that is not a valid PICOBOOT command (for device-side decoders such as the test fakes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not 32 bytes.
    Length(usize),
    /// The magic word is wrong.
    Magic(u32),
    /// An id this crate does not use, or an argument size that does not match it.
    Unknown { id: u8, arg_len: u8 },
}

impl Command {
    /// The command id (`bCmdId`; the top bit marks an IN data phase).
    pub fn id(&self) -> u8 {
        match self {
            Self::ExclusiveAccess(_) => 0x01,
            Self::ExitXip => 0x06,
            Self::FlashErase { .. } => 0x03,
            Self::Read { .. } => 0x84,
            Self::Write { .. } => 0x05,
            Self::Reboot2 { .. } => 0x0a,
        }
    }

    /// The command's name as in the datasheet, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExclusiveAccess(_) => "EXCLUSIVE_ACCESS",
            Self::ExitXip => "EXIT_XIP",
            Self::FlashErase { .. } => "FLASH_ERASE",
            Self::Read { .. } => "READ",
            Self::Write { .. } => "WRITE",
            Self::Reboot2 { .. } => "REBOOT2",
        }
    }

    /// The flash address the command works on, if any.
    pub fn addr(&self) -> Option<u32> {
        match *self {
            Self::FlashErase { addr, .. } | Self::Read { addr, .. } | Self::Write { addr, .. } => Some(addr),
            Self::ExclusiveAccess(_) | Self::ExitXip | Self::Reboot2 { .. } => None,
        }
    }

    /// Bytes in the data phase (`dTransferLength`).
    pub fn transfer_len(&self) -> u32 {
        match *self {
            Self::Read { size, .. } | Self::Write { size, .. } => size,
            _ => 0,
        }
    }

    /// True if the data phase (and so the device's answer) comes on bulk IN.
    pub fn is_in(&self) -> bool {
        self.id() & 0x80 != 0
    }

    /// The 32-byte command block with `token` (echoed by CMD_STATUS, to match a status to its command).
    pub fn encode(&self, token: u32) -> [u8; COMMAND_LEN] {
        let mut args = [0u8; 16];
        let arg_len = match *self {
            Self::ExclusiveAccess(mode) => {
                args[0] = mode;
                1
            }
            Self::ExitXip => 0,
            Self::FlashErase { addr, size } | Self::Read { addr, size } | Self::Write { addr, size } => {
                args[..4].copy_from_slice(&addr.to_le_bytes());
                args[4..8].copy_from_slice(&size.to_le_bytes());
                8
            }
            Self::Reboot2 { flags, delay_ms, param0, param1 } => {
                for (k, w) in [flags, delay_ms, param0, param1].into_iter().enumerate() {
                    args[4 * k..4 * k + 4].copy_from_slice(&w.to_le_bytes());
                }
                16
            }
        };
        let mut out = [0u8; COMMAND_LEN];
        out[..4].copy_from_slice(&MAGIC.to_le_bytes());
        out[4..8].copy_from_slice(&token.to_le_bytes());
        out[8] = self.id();
        out[9] = arg_len;
        out[12..16].copy_from_slice(&self.transfer_len().to_le_bytes());
        out[16..].copy_from_slice(&args);
        out
    }

    /// Decodes a command block into (token, command): the device side of [`Command::encode`].
    pub fn decode(block: &[u8]) -> Result<(u32, Self), DecodeError> {
        let Ok(block) = <&[u8; COMMAND_LEN]>::try_from(block) else { return Err(DecodeError::Length(block.len())) };
        let w = |at: usize| u32::from_le_bytes([block[at], block[at + 1], block[at + 2], block[at + 3]]);
        if w(0) != MAGIC {
            return Err(DecodeError::Magic(w(0)));
        }
        let (id, arg_len) = (block[8], block[9]);
        let command = match (id, arg_len) {
            (0x01, 1) => Self::ExclusiveAccess(block[16]),
            (0x06, 0) => Self::ExitXip,
            (0x03, 8) => Self::FlashErase { addr: w(16), size: w(20) },
            (0x84, 8) => Self::Read { addr: w(16), size: w(20) },
            (0x05, 8) => Self::Write { addr: w(16), size: w(20) },
            (0x0a, 16) => Self::Reboot2 { flags: w(16), delay_ms: w(20), param0: w(24), param1: w(28) },
            _ => return Err(DecodeError::Unknown { id, arg_len }),
        };
        if w(12) != command.transfer_len() {
            return Err(DecodeError::Unknown { id, arg_len });
        }
        Ok((w(4), command))
    }
}

/// A PICOBOOT status code (`dStatusCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u32);

impl Status {
    /// Success.
    pub const OK: Self = Self(0);
    /// The address is outside what the command may touch.
    pub const INVALID_ADDRESS: Self = Self(4);
    /// The address or size is not page/sector aligned.
    pub const BAD_ALIGNMENT: Self = Self(5);
    /// The bootrom refuses: the range is protected (partition table / OTP).
    pub const NOT_PERMITTED: Self = Self(10);
    /// Catch-all failure (a flash program that did not complete, for one).
    pub const UNKNOWN_ERROR: Self = Self(8);

    const NAMES: [&'static str; 18] = [
        "OK",
        "UNKNOWN_CMD",
        "INVALID_CMD_LENGTH",
        "INVALID_TRANSFER_LENGTH",
        "INVALID_ADDRESS",
        "BAD_ALIGNMENT",
        "INTERLEAVED_WRITE",
        "REBOOTING",
        "UNKNOWN_ERROR",
        "INVALID_STATE",
        "NOT_PERMITTED",
        "INVALID_ARG",
        "BUFFER_TOO_SMALL",
        "PRECONDITION_NOT_MET",
        "MODIFIED_DATA",
        "INVALID_DATA",
        "NOT_FOUND",
        "UNSUPPORTED_MODIFICATION",
    ];

    /// The code's name as in `picoboot.h` (`PICOBOOT_` prefix dropped), or `None` for an unknown code.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES.get(self.0 as usize).copied()
    }

    /// What a user can do about it.
    pub fn hint(self) -> &'static str {
        match self.0 {
            3..=5 => "the image asks for an address or size the bootloader does not accept; rebuild the firmware",
            10 => "the bootloader protects that flash range (partition table or OTP settings); clear it with picotool",
            1 | 2 => {
                "this bootloader does not speak the expected PICOBOOT commands; is this an RP2350 in BOOTSEL mode?"
            }
            _ => "unplug the board, hold BOOTSEL while plugging it back in, then retry",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "status {}", self.0),
        }
    }
}

/// The reply to CMD_STATUS: the last command's token, status, id and whether it is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandStatus {
    /// Token of the command this status is for.
    pub token: u32,
    /// Its outcome.
    pub status: Status,
    /// Its id.
    pub cmd_id: u8,
    /// True while it still runs.
    pub in_progress: bool,
}

impl CommandStatus {
    /// Decodes the 16-byte reply (`None` if shorter).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let b = bytes.get(..STATUS_LEN)?;
        let w = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        Some(Self { token: w(0), status: Status(w(4)), cmd_id: b[8], in_progress: b[9] != 0 })
    }

    /// The 16-byte reply (the device side, for fakes).
    pub fn encode(&self) -> [u8; STATUS_LEN] {
        let mut out = [0; STATUS_LEN];
        out[..4].copy_from_slice(&self.token.to_le_bytes());
        out[4..8].copy_from_slice(&self.status.0.to_le_bytes());
        out[8] = self.cmd_id;
        out[9] = u8::from(self.in_progress);
        out
    }
}

/// Why a USB transfer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbError {
    /// The device stalled the endpoint: it refused the command (CMD_STATUS says why).
    Stall,
    /// The device is gone (unplugged, rebooted, or the browser lost it).
    Disconnected,
    /// The device did not answer within the flasher's timeout (set by the flasher, not the transport).
    Timeout,
    /// Anything else the USB stack reported.
    Other(String),
}

impl fmt::Display for UsbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stall => f.write_str("endpoint stalled"),
            Self::Disconnected => f.write_str("device disconnected"),
            Self::Timeout => f.write_str("no answer"),
            Self::Other(message) => f.write_str(message),
        }
    }
}

/// The USB operations PICOBOOT needs, on the claimed PICOBOOT interface: its two bulk endpoints and vendor control
/// requests addressed to it. Implemented over WebUSB (`web` feature) and by in-memory fakes in tests.
// Futures are not `Send`: WebUSB promises live on the browser's one thread, and nothing here needs to cross threads.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// The USB product id (tells an RP2350 bootrom from an RP2040 one).
    fn product_id(&self) -> u16;
    /// Sends `data` (possibly empty: a zero-length packet) on the bulk OUT endpoint.
    async fn bulk_out(&mut self, data: &[u8]) -> Result<(), UsbError>;
    /// Receives one transfer of at most `buf.len()` bytes on the bulk IN endpoint; returns the bytes received.
    async fn bulk_in(&mut self, buf: &mut [u8]) -> Result<usize, UsbError>;
    /// A vendor control request to the interface without data (IF_RESET).
    async fn control_out(&mut self, request: u8) -> Result<(), UsbError>;
    /// A vendor control request from the interface (CMD_STATUS); returns the bytes received.
    async fn control_in(&mut self, request: u8, buf: &mut [u8]) -> Result<usize, UsbError>;
    /// Clears the halt on both bulk endpoints (CLEAR_FEATURE(ENDPOINT_HALT): the host's side and the device's).
    async fn clear_halt(&mut self) -> Result<(), UsbError>;
    /// Completes after `ms` milliseconds. The flasher races every transfer against one and gives up on the transfer
    /// when it fires, as picotool's libusb timeouts do; it must not borrow the transport, which the transfer holds.
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> + 'static;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_and_match_the_header_layout() {
        let commands = [
            Command::ExclusiveAccess(EXCLUSIVE_AND_EJECT),
            Command::ExitXip,
            Command::FlashErase { addr: 0x1000_1000, size: 4096 },
            Command::Write { addr: 0x1000_1000, size: 4096 },
            Command::Read { addr: 0x1000_2000, size: 256 },
            Command::Reboot2 { flags: REBOOT2_NORMAL, delay_ms: 500, param0: 1, param1: 2 },
        ];
        for (token, command) in commands.into_iter().enumerate() {
            let block = command.encode(token as u32 + 7);
            assert_eq!(Command::decode(&block), Ok((token as u32 + 7, command)));
            assert_eq!(&block[..4], &[0x0b, 0xd1, 0x1f, 0x43]);
            assert_eq!(block[8], command.id());
            assert_eq!(u32::from_le_bytes(block[12..16].try_into().unwrap()), command.transfer_len());
        }
        // Layout of a READ: id 0x84 (IN), 8 argument bytes, transfer length = size, args addr then size.
        let read = Command::Read { addr: 0x1000_0100, size: 0x200 }.encode(1);
        assert_eq!(&read[8..16], &[0x84, 8, 0, 0, 0, 2, 0, 0]);
        assert_eq!(&read[16..24], &[0, 1, 0, 0x10, 0, 2, 0, 0]);
        assert!(Command::Read { addr: 0, size: 1 }.is_in() && !Command::Write { addr: 0, size: 1 }.is_in());
    }

    #[test]
    fn bad_command_blocks_are_refused() {
        let good = Command::Write { addr: 0x1000_0000, size: 256 }.encode(1);
        assert_eq!(Command::decode(&good[..31]), Err(DecodeError::Length(31)));
        let mut magic = good;
        magic[0] = 0;
        assert_eq!(Command::decode(&magic), Err(DecodeError::Magic(0x431f_d100)));
        let mut unknown = good;
        unknown[8] = 0x8b; // GET_INFO: valid PICOBOOT, not used here
        assert_eq!(Command::decode(&unknown), Err(DecodeError::Unknown { id: 0x8b, arg_len: 8 }));
        let mut length = good;
        length[12] = 1;
        assert!(Command::decode(&length).is_err());
    }

    #[test]
    fn status_names_and_round_trip() {
        assert_eq!(Status(5).name(), Some("BAD_ALIGNMENT"));
        assert_eq!(Status(17).name(), Some("UNSUPPORTED_MODIFICATION"));
        assert_eq!(Status(99).name(), None);
        assert_eq!(alloc::format!("{}", Status(99)), "status 99");
        assert_eq!(alloc::format!("{}", Status::NOT_PERMITTED), "NOT_PERMITTED");
        let s = CommandStatus { token: 9, status: Status::INVALID_ADDRESS, cmd_id: 0x05, in_progress: false };
        assert_eq!(CommandStatus::decode(&s.encode()), Some(s));
        assert_eq!(CommandStatus::decode(&[0; 15]), None);
    }
}
