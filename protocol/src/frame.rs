//! Framing: one USB bulk transfer is one message, an 8-byte [`Header`] then the postcard body.
//!
//! USB full speed moves a transfer in packets of [`USB_PACKET_LEN`] bytes; the receiver knows the transfer (and so
//! the message) has ended when a packet is shorter than that. A message whose length is a multiple of 64 is
//! therefore followed by a zero-length packet ([`needs_zlp`]). WebUSB's `transferIn(ep, MAX_MESSAGE_LEN)` resolves
//! with exactly one whole transfer.
//!
//! Both directions, as packets: a host writes a request with [`request_transfers`] (the request, then an empty
//! transfer when it fills its last packet); the node sends a message as [`message_packets`] and gathers a request
//! from packets with [`TransferReader`]. The firmware and the dashboard's simulated node use these same functions.

use serde::{Deserialize, Serialize};

use crate::key::Key;
use crate::{Endpoint, MAX_MESSAGE_LEN, Topic};

/// Bytes of [`Header`] on the wire.
pub const HEADER_LEN: usize = 8;
/// Bulk endpoint max packet size at USB full speed.
pub const USB_PACKET_LEN: usize = 64;

/// What precedes every body: the key (little-endian u32) and a sequence number (little-endian u32). Responses echo
/// the request's number; each topic numbers its messages 0, 1, 2… from `stream/start`, counting dropped ones, so a
/// gap is a drop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// What the body is.
    pub key: Key,
    /// Sequence number.
    pub seq: u32,
}

/// Why bytes could not be framed or unframed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes than a header.
    Short,
    /// The body does not decode as the expected type (or has bytes left over).
    Body,
    /// The output buffer is too small for the message.
    BufferFull,
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            FrameError::Short => "message shorter than its 8-byte header",
            FrameError::Body => "message body does not decode as its type",
            FrameError::BufferFull => "output buffer too small for the message",
        })
    }
}

impl core::error::Error for FrameError {}

impl Header {
    /// Splits a message into its header and body.
    pub fn split(message: &[u8]) -> Result<(Header, &[u8]), FrameError> {
        let (head, body) = message.split_at_checked(HEADER_LEN).ok_or(FrameError::Short)?;
        let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        Ok((Header { key: Key(word(0)), seq: word(4) }, body))
    }

    fn write(&self, out: &mut [u8]) -> Result<(), FrameError> {
        let head = out.get_mut(..HEADER_LEN).ok_or(FrameError::BufferFull)?;
        head[..4].copy_from_slice(&self.key.0.to_le_bytes());
        head[4..].copy_from_slice(&self.seq.to_le_bytes());
        Ok(())
    }
}

/// Writes `header` and `body` into `out`; returns the message length.
pub fn encode<T: Serialize + ?Sized>(header: Header, body: &T, out: &mut [u8]) -> Result<usize, FrameError> {
    header.write(out)?;
    let body = postcard::to_slice(body, &mut out[HEADER_LEN..]).map_err(|_| FrameError::BufferFull)?;
    Ok(HEADER_LEN + body.len())
}

/// Decodes a body that must be exactly one `T` (trailing bytes are an error: they mean a type mismatch).
pub fn decode_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, FrameError> {
    match postcard::take_from_bytes(body) {
        Ok((value, [])) => Ok(value),
        _ => Err(FrameError::Body),
    }
}

/// Host side: a request for endpoint `E` with sequence number `seq`.
pub fn encode_request<E: Endpoint>(seq: u32, request: &E::Request<'_>, out: &mut [u8]) -> Result<usize, FrameError> {
    encode(Header { key: E::KEY, seq }, request, out)
}

/// Node side: the response of endpoint `E` to request `seq`.
pub fn encode_response<E: Endpoint>(seq: u32, response: &E::Response<'_>, out: &mut [u8]) -> Result<usize, FrameError> {
    encode(Header { key: E::KEY, seq }, response, out)
}

/// Node side: message `seq` of topic `T`.
pub fn encode_topic<T: Topic>(seq: u32, message: &T::Message<'_>, out: &mut [u8]) -> Result<usize, FrameError> {
    encode(Header { key: T::KEY, seq }, message, out)
}

/// Node side: whether a message of `len` bytes the node sends must be ended by a zero-length packet (it fills its
/// last packet), so that the host sees where it ends. A whole [`MAX_MESSAGE_LEN`] needs none: it fills the host's
/// `transferIn(ep, MAX_MESSAGE_LEN)`, which ends the read by itself. Requests follow [`request_needs_zlp`].
pub const fn needs_zlp(len: usize) -> bool {
    len > 0 && len.is_multiple_of(USB_PACKET_LEN) && len < MAX_MESSAGE_LEN
}

/// Whether a request of `len` bytes must be followed by a zero-length packet when a host writes it to a node. The
/// node ends a request only at a short packet ([`TransferReader`]), whatever its length, so unlike [`needs_zlp`]
/// there is no exception at [`MAX_MESSAGE_LEN`]. Hosts do not add the packet by themselves: Blink's
/// `USBDevice::transferOut` (`third_party/blink/renderer/modules/webusb/usb_device.cc`) hands the bytes to
/// `GenericTransferOut` as they are, and Chromium's Linux backend (`services/device/usb/usb_device_handle_usbfs.cc`,
/// `UsbDeviceHandleUsbfs::GenericTransfer`) submits the URB with no flags, so without `USBDEVFS_URB_ZERO_PACKET`.
pub const fn request_needs_zlp(len: usize) -> bool {
    len > 0 && len.is_multiple_of(USB_PACKET_LEN)
}

/// Host side: the bulk OUT transfers that carry `request` to a node, in order: the request, then an empty transfer
/// (which the bus carries as one zero-length packet) when [`request_needs_zlp`]. Everything that writes to a node
/// sends exactly these; submit them back to back, with no other transfer on the endpoint in between, or another
/// request is glued onto this one.
pub fn request_transfers(request: &[u8]) -> impl Iterator<Item = &[u8]> {
    let zlp: &[u8] = &[];
    core::iter::once(request).chain(request_needs_zlp(request.len()).then_some(zlp))
}

/// Node side: the packets a message goes out as on bulk IN: [`USB_PACKET_LEN`]-byte pieces, then a zero-length
/// packet when [`needs_zlp`]. This is what embassy-usb's `EndpointIn::write_transfer(message, needs_zlp(len))`
/// writes (embassy-usb-driver 0.2: `buf.chunks(max_packet_size)`, then `write(&[])` if asked and the length is a
/// multiple of the packet size).
pub fn message_packets(message: &[u8]) -> impl Iterator<Item = &[u8]> {
    let zlp: &[u8] = &[];
    message.chunks(USB_PACKET_LEN).chain(needs_zlp(message.len()).then_some(zlp))
}

/// How a transfer ended, from [`TransferReader::push`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferEnd {
    /// The whole transfer, this many bytes, is in the buffer.
    Message(usize),
    /// The transfer was longer than the buffer: it holds the first bytes (this many), the rest was dropped.
    TooLong(usize),
}

/// Node side: gathers the packets of one bulk OUT transfer into a request. A packet shorter than [`USB_PACKET_LEN`]
/// (a zero-length one included) ends the transfer; a full one never does, so a request whose length is a multiple
/// of the packet size waits for the host's zero-length packet ([`request_transfers`]). Bytes beyond the buffer are
/// dropped and the transfer still read to its end, so the next one starts in step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferReader {
    len: usize,
    overflow: bool,
}

impl TransferReader {
    /// A reader at the start of a transfer.
    pub const fn new() -> TransferReader {
        TransferReader { len: 0, overflow: false }
    }

    /// Bytes of the current transfer kept in the buffer so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether no byte of a transfer has been kept yet.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds one packet of the transfer to `buf` (the same buffer for every packet of it); how the transfer ended if
    /// `packet` ended it, and then the reader starts over. A packet longer than [`USB_PACKET_LEN`] (which the
    /// endpoint cannot receive) counts as a full one.
    pub fn push(&mut self, buf: &mut [u8], packet: &[u8]) -> Option<TransferEnd> {
        let start = self.len.min(buf.len());
        let keep = packet.len().min(buf.len() - start);
        buf[start..start + keep].copy_from_slice(&packet[..keep]);
        self.len = start + keep;
        self.overflow |= keep < packet.len();
        if packet.len() >= USB_PACKET_LEN {
            return None;
        }
        let end = if self.overflow { TransferEnd::TooLong(self.len) } else { TransferEnd::Message(self.len) };
        *self = TransferReader::new();
        Some(end)
    }
}
