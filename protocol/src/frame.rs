//! Framing: one USB bulk transfer is one message, an 8-byte [`Header`] then the postcard body.
//!
//! USB full speed moves a transfer in packets of [`USB_PACKET_LEN`] bytes; the receiver knows the transfer (and so
//! the message) has ended when a packet is shorter than that. A message whose length is a multiple of 64 is
//! therefore followed by a zero-length packet ([`needs_zlp`]). WebUSB's `transferIn(ep, MAX_MESSAGE_LEN)` resolves
//! with exactly one whole transfer.

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

/// Whether a transfer of `len` bytes must be ended by a zero-length packet (it fills its last packet), so that the
/// receiver sees where it ends.
pub const fn needs_zlp(len: usize) -> bool {
    len > 0 && len.is_multiple_of(USB_PACKET_LEN) && len < MAX_MESSAGE_LEN
}
