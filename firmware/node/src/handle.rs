//! Requests: one plain function per endpoint over the node, dispatched by key.

use core::fmt::Write;

use embedded_storage_async::nor_flash::NorFlash;
use stapes_protocol::{
    Applied, ERROR_KEY, Endpoint, FrameError, Header, Info, InfoEp, Key, MAX_REQUEST_LEN, MAX_RESPONSE_LEN,
    NodeSettings, PROTOCOL_HASH, RebootMode, SettingsGet, SettingsOrigin, SettingsReset, SettingsSet, SettingsValidate,
    StreamStart, StreamStop, SystemReboot, WireError, config_hash, decode_body, encode, encode_response,
};

use crate::clock::Clock;
use crate::memory::PIPELINE_CAPACITY;
use crate::node::Node;
use crate::settings::{self, Refusal};

/// What [`Node::handle`] wrote and what the firmware must do after sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Bytes of the response at the start of the response buffer: never 0 (a host waits for every answer, and an
    /// empty one would be no USB transfer at all).
    pub len: usize,
    /// Something to do once the response is sent.
    pub action: Option<Action>,
}

/// Work a request leaves to the firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Restart (normally or into the USB bootloader) after the response has gone out.
    Reboot(RebootMode),
}

/// A failure answer, before encoding.
enum Failure {
    Wire(WireError<'static>),
    Refused(Refusal),
}

/// A string formatted into a fixed buffer; what does not fit is cut off (at a char boundary).
struct Text<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Text<N> {
    fn format(args: impl core::fmt::Display) -> Self {
        let mut t = Text { bytes: [0; N], len: 0 };
        // `write_str` below never fails.
        let _ = write!(t, "{args}");
        t
    }

    fn as_str(&self) -> &str {
        // Only whole chars are copied in.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> Write for Text<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let mut end = s.len().min(N - self.len);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.bytes[self.len..self.len + end].copy_from_slice(&s.as_bytes()[..end]);
        self.len += end;
        Ok(())
    }
}

impl<F: NorFlash, C: Clock> Node<'_, F, C> {
    /// Answers one request (one whole USB transfer) into `response`: every answer fits (identity strings are cut
    /// to 64 bytes in `info`), and the reply is never empty. Any bytes get an answer: malformed, oversized and
    /// unknown requests a [`WireError`], and so would an answer that failed to encode. `settings/set` and
    /// `settings/reset` write flash: they stop a running stream first (the write stalls the device) and must be
    /// awaited to the end, never cancelled.
    pub async fn handle(&mut self, request: &[u8], response: &mut [u8; MAX_RESPONSE_LEN]) -> Reply {
        self.handle_into(request, response).await
    }

    /// [`handle`](Self::handle) into a buffer of any size: an answer that does not fit becomes an error reply, and
    /// an error that does not fit its bare 8-byte header (`len` 0 only in a buffer shorter than that).
    async fn handle_into(&mut self, request: &[u8], response: &mut [u8]) -> Reply {
        let (header, body) = match Header::split(request) {
            Ok(split) => split,
            Err(_) => return fail(Header { key: ERROR_KEY, seq: 0 }, Failure::Wire(WireError::Malformed), response),
        };
        if request.len() > MAX_REQUEST_LEN {
            let oversized = WireError::Oversized { len: request.len() as u32, max: MAX_REQUEST_LEN as u32 };
            return fail(header, Failure::Wire(oversized), response);
        }
        match self.dispatch(header, body, response).await {
            Ok(reply) => reply,
            Err(failure) => fail(header, failure, response),
        }
    }

    async fn dispatch(&mut self, header: Header, body: &[u8], out: &mut [u8]) -> Result<Reply, Failure> {
        let seq = header.seq;
        // An answer that does not encode is answered with an error: never with nothing.
        let reply = |len: Result<usize, FrameError>| {
            len.map(|len| Reply { len, action: None }).map_err(|_| Failure::Wire(UNENCODABLE))
        };
        Ok(match header.key {
            k if k == InfoEp::KEY => {
                request::<InfoEp>(body)?;
                reply(encode_response::<InfoEp>(seq, &self.info(), out))?
            }
            k if k == SettingsGet::KEY => {
                request::<SettingsGet>(body)?;
                reply(encode_response::<SettingsGet>(seq, &self.settings, out))?
            }
            k if k == SettingsValidate::KEY => {
                settings::check(&request::<SettingsValidate>(body)?).map_err(Failure::Refused)?;
                reply(encode_response::<SettingsValidate>(seq, &(), out))?
            }
            k if k == SettingsSet::KEY => {
                let applied = self.set(request::<SettingsSet>(body)?).await?;
                reply(encode_response::<SettingsSet>(seq, &applied, out))?
            }
            k if k == SettingsReset::KEY => {
                request::<SettingsReset>(body)?;
                let applied = self.set(settings::defaults()).await?;
                reply(encode_response::<SettingsReset>(seq, &applied, out))?
            }
            k if k == StreamStart::KEY => {
                request::<StreamStart>(body)?;
                self.start_stream();
                reply(encode_response::<StreamStart>(seq, &(), out))?
            }
            k if k == StreamStop::KEY => {
                request::<StreamStop>(body)?;
                self.stop_stream();
                reply(encode_response::<StreamStop>(seq, &(), out))?
            }
            k if k == SystemReboot::KEY => {
                let mode = request::<SystemReboot>(body)?;
                self.stop_stream();
                Reply { action: Some(Action::Reboot(mode)), ..reply(encode_response::<SystemReboot>(seq, &(), out))? }
            }
            Key(other) => return Err(Failure::Wire(WireError::UnknownKey(other))),
        })
    }

    /// Validates, persists (unless unchanged), then applies.
    async fn set(&mut self, new: NodeSettings) -> Result<Applied, Failure> {
        settings::check(&new).map_err(Failure::Refused)?;
        let stream_stopped = self.stop_stream();
        if new != self.settings || self.origin != SettingsOrigin::Stored {
            self.store.save(&new).await.map_err(|_| Failure::Wire(WireError::Storage("flash write failed")))?;
        }
        // `check` ran every test `reconfigure` makes, so this cannot fail; if it did, the old pipeline stays.
        self.pipeline.reconfigure(&new.config).map_err(|_| {
            Failure::Wire(WireError::Invalid { field: "config", message: "the pipeline could not be rebuilt" })
        })?;
        self.settings = new;
        self.origin = SettingsOrigin::Stored;
        Ok(Applied { config_hash: config_hash(&self.settings.config), stream_stopped })
    }

    fn info(&self) -> Info<'static> {
        let id = &self.identity;
        let preset = settings::preset_of(&self.settings.config);
        Info {
            firmware_version: clip(id.firmware_version),
            git_hash: clip(id.git_hash),
            build_date: clip(id.build_date),
            board: clip(id.board),
            serial: id.serial,
            core_version: CORE_VERSION,
            protocol_hash: PROTOCOL_HASH,
            preset: preset.map(|(name, _)| name),
            preset_streaming: preset.is_some_and(|(_, streaming)| streaming),
            config_hash: config_hash(&self.settings.config),
            uptime_us: self.uptime_us(),
            settings_origin: self.origin,
            pipeline_capacity: PIPELINE_CAPACITY as u32,
            streaming: self.is_streaming(),
        }
    }
}

/// `stapes-core`'s version, which this crate's version follows (one workspace version).
const CORE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// At most 64 bytes of `s` (at a char boundary), so that `info` always fits a response.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Decodes the request body of endpoint `E`.
fn request<'a, E: Endpoint>(body: &'a [u8]) -> Result<E::Request<'a>, Failure> {
    decode_body(body).map_err(|_| Failure::Wire(WireError::Malformed))
}

/// The error of an answer that did not encode (every answer fits a whole response buffer, so only a shorter one
/// gets it).
const UNENCODABLE: WireError<'static> =
    WireError::Invalid { field: "response", message: "the answer does not fit the response buffer" };

fn fail(header: Header, failure: Failure, out: &mut [u8]) -> Reply {
    let head = Header { key: ERROR_KEY, seq: header.seq };
    let encoded = match &failure {
        Failure::Wire(e) => encode(head, e, out),
        Failure::Refused(r) => {
            let (field, message) = (Text::<48>::format(r.field()), Text::<192>::format(r));
            encode(head, &WireError::Invalid { field: field.as_str(), message: message.as_str() }, out)
        }
    };
    // Errors fit a whole response buffer; in a shorter one the error header alone still ends the host's wait (a
    // body it cannot decode rather than silence).
    let len = encoded.or_else(|_| encode(head, &(), out)).unwrap_or(0);
    Reply { len, action: None }
}

#[cfg(test)]
mod tests {
    use embassy_futures::block_on;
    use stapes_protocol::{
        ENDPOINTS, HEADER_LEN, SettingsSet, SystemReboot, USB_PACKET_LEN, encode_request, needs_zlp,
    };

    use super::*;
    use crate::{Memory, RamFlash, SECTOR, settings};

    struct Zero;
    impl Clock for Zero {
        fn now_us(&self) -> u64 {
            0
        }
    }

    /// Packets a transfer of `len` bytes takes on the bus: full ones, then a short one or a zero-length one.
    fn packets(len: usize) -> usize {
        len.div_ceil(USB_PACKET_LEN) + usize::from(needs_zlp(len))
    }

    #[test]
    fn every_request_gets_at_least_one_packet_back_even_when_its_answer_does_not_fit() {
        let identity = crate::Identity { firmware_version: "t", git_hash: "t", build_date: "t", board: "t", serial: 0 };
        let mut memory = Box::new(Memory::new());
        let flash = RamFlash::<{ 2 * SECTOR }>::new();
        let mut node = block_on(Node::boot(&mut memory, flash, 0..2 * SECTOR as u32, Zero, identity));
        let mut requests: Vec<Vec<u8>> = vec![vec![], vec![1, 2, 3], vec![0xff; MAX_REQUEST_LEN + 1]];
        for (i, &(_, key)) in ENDPOINTS.iter().enumerate() {
            for body in [&[][..], &[0], &[1, 2, 3, 4]] {
                let mut r = key.0.to_le_bytes().to_vec();
                r.extend_from_slice(&(i as u32).to_le_bytes());
                r.extend_from_slice(body);
                requests.push(r);
            }
        }
        let mut buf = [0u8; 512];
        let n = encode_request::<SettingsSet>(40, &settings::defaults(), &mut buf).unwrap();
        requests.push(buf[..n].to_vec());
        let n = encode_request::<SystemReboot>(41, &RebootMode::Normal, &mut buf).unwrap();
        requests.push(buf[..n].to_vec());

        for request in &requests {
            let seq = Header::split(request).map_or(0, |(h, _)| h.seq);
            for size in [HEADER_LEN, 9, 16, 40, 64, 100, 200, MAX_RESPONSE_LEN] {
                let mut response = vec![0u8; size];
                let reply = block_on(node.handle_into(request, &mut response));
                assert!(packets(reply.len) >= 1, "request {request:02x?}, buffer {size}: nothing sent, the host waits");
                let (header, body) = Header::split(&response[..reply.len]).unwrap();
                assert_eq!(header.seq, seq);
                if size == MAX_RESPONSE_LEN && header.key == ERROR_KEY {
                    assert!(decode_body::<WireError<'_>>(body).is_ok(), "a whole buffer holds the whole error");
                }
            }
        }
    }
}
