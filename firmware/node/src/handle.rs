//! Requests: one plain function per endpoint over the node, dispatched by key.

use core::fmt::Write;

use embedded_storage_async::nor_flash::NorFlash;
use serde::Serialize;
use stapes_protocol::{
    Applied, ERROR_KEY, Endpoint, Header, Info, InfoEp, Key, MAX_REQUEST_LEN, NodeSettings, PROTOCOL_HASH, RebootMode,
    SettingsGet, SettingsOrigin, SettingsReset, SettingsSet, SettingsValidate, StreamStart, StreamStop, SystemReboot,
    WireError, config_hash, decode_body, encode, encode_response,
};

use crate::clock::Clock;
use crate::memory::PIPELINE_CAPACITY;
use crate::node::Node;
use crate::settings::{self, Refusal};

/// What [`Node::handle`] wrote and what the firmware must do after sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Bytes of the response at the start of the response buffer (0 only if that buffer was too small).
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
    /// Answers one request (one whole USB transfer) into `response`, which needs
    /// [`MAX_RESPONSE_LEN`](stapes_protocol::MAX_RESPONSE_LEN) bytes: every answer fits (identity strings are cut
    /// to 64 bytes in `info`); a shorter buffer may give `len` 0. Any bytes get an answer: malformed, oversized
    /// and unknown requests a [`WireError`]. `settings/set` and `settings/reset` write flash: they stop a running
    /// stream first (the write stalls the device) and must be awaited to the end, never cancelled.
    pub async fn handle(&mut self, request: &[u8], response: &mut [u8]) -> Reply {
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
        let reply = |len: Result<usize, _>| Reply { len: len.unwrap_or(0), action: None };
        Ok(match header.key {
            k if k == InfoEp::KEY => {
                request::<InfoEp>(body)?;
                reply(encode_response::<InfoEp>(seq, &self.info(), out))
            }
            k if k == SettingsGet::KEY => {
                request::<SettingsGet>(body)?;
                reply(encode_response::<SettingsGet>(seq, &self.settings, out))
            }
            k if k == SettingsValidate::KEY => {
                settings::check(&request::<SettingsValidate>(body)?).map_err(Failure::Refused)?;
                reply(encode_response::<SettingsValidate>(seq, &(), out))
            }
            k if k == SettingsSet::KEY => {
                let applied = self.set(request::<SettingsSet>(body)?).await?;
                reply(encode_response::<SettingsSet>(seq, &applied, out))
            }
            k if k == SettingsReset::KEY => {
                request::<SettingsReset>(body)?;
                let applied = self.set(settings::defaults()).await?;
                reply(encode_response::<SettingsReset>(seq, &applied, out))
            }
            k if k == StreamStart::KEY => {
                request::<StreamStart>(body)?;
                self.start_stream();
                reply(encode_response::<StreamStart>(seq, &(), out))
            }
            k if k == StreamStop::KEY => {
                request::<StreamStop>(body)?;
                self.stop_stream();
                reply(encode_response::<StreamStop>(seq, &(), out))
            }
            k if k == SystemReboot::KEY => {
                let mode = request::<SystemReboot>(body)?;
                self.stop_stream();
                Reply { action: Some(Action::Reboot(mode)), ..reply(encode_response::<SystemReboot>(seq, &(), out)) }
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

fn fail(header: Header, failure: Failure, out: &mut [u8]) -> Reply {
    let head = Header { key: ERROR_KEY, seq: header.seq };
    let len = match &failure {
        Failure::Wire(e) => encode_error(head, e, out),
        Failure::Refused(r) => {
            let (field, message) = (Text::<48>::format(r.field()), Text::<192>::format(r));
            encode_error(head, &WireError::Invalid { field: field.as_str(), message: message.as_str() }, out)
        }
    };
    Reply { len, action: None }
}

fn encode_error(head: Header, error: &(impl Serialize + ?Sized), out: &mut [u8]) -> usize {
    encode(head, error, out).unwrap_or(0)
}
