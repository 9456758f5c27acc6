//! One open node over WebUSB: the claimed interface's bulk endpoints, requests matched to responses by sequence
//! number, and a reader that hands topic messages to the live view. Works the same on `navigator.usb` and on the
//! fake of `web/sim/fake-usb.js`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use futures::channel::oneshot;
use stapes_protocol::{
    ERROR_KEY, Endpoint, FrameError, Header, MAX_MESSAGE_LEN, MAX_REQUEST_LEN, TOPICS, WireError, decode_body,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{UsbDevice, UsbDirection, UsbEndpointType, UsbTransferStatus};

/// The node's vendor-class interface (`firmware/rp2350/src/usb.rs`).
const CLASS_VENDOR: u8 = 0xff;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// The node refused: its message, and the settings field when it names one.
    Refused { field: Option<String>, message: String },
    /// The transfer failed or the answer made no sense.
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Refused { field: Some(field), message } => write!(f, "{field}: {message}"),
            CallError::Refused { field: None, message } | CallError::Transport(message) => f.write_str(message),
        }
    }
}

/// A failed WebUSB promise as (DOMException name, message).
pub fn js_error(e: &JsValue) -> (String, String) {
    match e.dyn_ref::<web_sys::DomException>() {
        Some(d) => (d.name(), d.message()),
        None => ("Error".to_owned(), e.as_string().unwrap_or_else(|| format!("{e:?}"))),
    }
}

/// An open, claimed node.
pub struct Session {
    device: UsbDevice,
    ep_in: u8,
    ep_out: u8,
    seq: Cell<u32>,
    pending: RefCell<HashMap<u32, oneshot::Sender<Vec<u8>>>>,
}

impl Session {
    /// Opens `device`, selects configuration 1 and claims its vendor interface. A device opened but not claimed
    /// is closed again: an open handle left behind keeps other tabs and programs out (on macOS and Windows the
    /// first opener holds the device).
    pub async fn open(device: UsbDevice) -> Result<Session, JsValue> {
        device.open().await?;
        let session = Session::claim(device.clone()).await;
        if session.is_err() {
            let _ = device.close().await;
        }
        session
    }

    async fn claim(device: UsbDevice) -> Result<Session, JsValue> {
        if device.configuration().is_none() {
            device.select_configuration(1).await?;
        }
        let config = device.configuration().ok_or("the node has no configuration")?;
        for interface in config.interfaces().iter() {
            let alternate = interface.alternate();
            if alternate.interface_class() != CLASS_VENDOR {
                continue;
            }
            let (mut ep_in, mut ep_out) = (None, None);
            for ep in alternate.endpoints().iter() {
                if ep.type_() != UsbEndpointType::Bulk {
                    continue;
                }
                match ep.direction() {
                    UsbDirection::In => ep_in = Some(ep.endpoint_number()),
                    _ => ep_out = Some(ep.endpoint_number()),
                }
            }
            if let (Some(ep_in), Some(ep_out)) = (ep_in, ep_out) {
                device.claim_interface(interface.interface_number()).await?;
                return Ok(Session { device, ep_in, ep_out, seq: Cell::new(1), pending: RefCell::default() });
            }
        }
        Err("the device has no vendor interface with a bulk endpoint pair (is it a stapes node?)".into())
    }

    /// The device.
    pub fn device(&self) -> &UsbDevice {
        &self.device
    }

    /// Sends a request of endpoint `E` and waits for its response message (header included).
    pub async fn call<E: Endpoint>(&self, request: &E::Request<'_>) -> Result<Vec<u8>, CallError> {
        self.call_with(E::PATH, |seq, out| stapes_protocol::encode_request::<E>(seq, request, out)).await
    }

    /// Sends the request `encode` writes (given its sequence number and a [`MAX_REQUEST_LEN`] buffer, it returns
    /// the length) and waits for the answer; `what` names it in errors. [`Session::call`] is this with an
    /// endpoint's encoding; tests send requests of any length through it.
    pub async fn call_with(
        &self,
        what: &str,
        encode: impl FnOnce(u32, &mut [u8]) -> Result<usize, FrameError>,
    ) -> Result<Vec<u8>, CallError> {
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        let mut out = [0u8; MAX_REQUEST_LEN];
        let len = encode(seq, &mut out).map_err(|e| CallError::Transport(format!("{what}: {e}")))?;
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(seq, tx);
        // The request, then a zero-length packet when it fills its last packet: the node reads a request until a
        // short packet, and WebUSB does not add one. Every transfer is submitted before any is awaited, so no other
        // call's request can come between a request and its zero-length packet (an endpoint's transfers go out in
        // the order they were submitted).
        let sent: Vec<_> = stapes_protocol::request_transfers(&out[..len])
            .map(|transfer| self.device.transfer_out_with_u8_slice(self.ep_out, transfer))
            .collect();
        for promise in sent {
            let result = match promise {
                Ok(promise) => promise.await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                self.pending.borrow_mut().remove(&seq);
                return Err(CallError::Transport(format!("{what}: {}", js_error(&e).1)));
            }
        }
        rx.await.map_err(|_| CallError::Transport(format!("{what}: the node went away before answering")))
    }

    /// Reads one whole transfer; `None` if the node halted its IN endpoint (a stall as Linux and macOS report
    /// it: [`Session::clear_stall`], then read on).
    pub async fn receive(&self) -> Result<Option<Vec<u8>>, JsValue> {
        let result = self.device.transfer_in(self.ep_in, MAX_MESSAGE_LEN as u32).await?;
        if result.status() == UsbTransferStatus::Stall {
            return Ok(None);
        }
        if result.status() != UsbTransferStatus::Ok {
            return Err(format!("IN transfer status {:?}", result.status()).into());
        }
        let data = result.data().ok_or("IN transfer without data")?;
        let bytes = js_sys::Uint8Array::new_with_byte_offset_and_length(
            &data.buffer(),
            data.byte_offset() as u32,
            data.byte_length() as u32,
        );
        Ok(Some(bytes.to_vec()))
    }

    /// Clears the halt of the IN endpoint after a stall.
    pub async fn clear_stall(&self) -> Result<(), JsValue> {
        self.device.clear_halt(UsbDirection::In, self.ep_in).await.map(drop)
    }

    /// Hands a response to its waiting call; false if no call waits for it (a topic message, or stale). A topic
    /// message is never an answer, whatever its sequence number: a node another tab left streaming sends its
    /// frames 0, 1, 2… while this page's first requests (numbered from 1) wait.
    pub fn answer(&self, message: Vec<u8>) -> bool {
        let Ok((header, _)) = Header::split(&message) else { return false };
        if TOPICS.iter().any(|(_, key)| *key == header.key) {
            return false;
        }
        match self.pending.borrow_mut().remove(&header.seq) {
            Some(tx) => {
                // The caller may have given up; nothing to do then.
                let _ = tx.send(message);
                true
            }
            None => false,
        }
    }

    /// Fails every waiting call (the device went away).
    pub fn abandon(&self) {
        self.pending.borrow_mut().clear();
    }

    /// Closes the device (errors ignored: it may be gone already).
    pub async fn close(&self) {
        let _ = self.device.close().await;
    }
}

/// Decodes a response of endpoint `E` (its body, or the standard error).
pub fn decode<'a, E: Endpoint>(message: &'a [u8]) -> Result<E::Response<'a>, CallError> {
    let (header, body) = Header::split(message).map_err(|e| CallError::Transport(e.to_string()))?;
    if header.key == E::KEY {
        return decode_body(body).map_err(|e| CallError::Transport(format!("{}: {e}", E::PATH)));
    }
    if header.key == ERROR_KEY {
        let error: WireError<'_> = decode_body(body).map_err(|e| CallError::Transport(e.to_string()))?;
        let field = match error {
            WireError::Invalid { field, .. } => Some(field.to_owned()),
            _ => None,
        };
        return Err(CallError::Refused { field, message: error.to_string() });
    }
    Err(CallError::Transport(format!("{}: answered with key {:#010x}", E::PATH, header.key.0)))
}
