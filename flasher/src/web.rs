//! [`Transport`] over WebUSB (web-sys), for the dashboard: the RP2350 bootrom's PICOBOOT interface in the browser.
//!
//! Needs `--cfg=web_sys_unstable_apis` (set for wasm32 in the root `.cargo/config.toml`).

use alloc::format;
use alloc::string::{String, ToString};

use core::future::{Future, IntoFuture};

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    UsbControlTransferParameters, UsbDevice, UsbDirection, UsbInTransferResult, UsbRecipient, UsbRequestType,
    UsbTransferStatus,
};

use crate::picoboot::{INTERFACE_CLASS, Transport, UsbError};

/// The claimed PICOBOOT interface of a WebUSB device.
pub struct WebUsbTransport {
    device: UsbDevice,
    interface: u8,
    ep_in: u8,
    ep_out: u8,
}

/// The DOMException name and message of a rejected WebUSB promise.
fn dom_error(e: &JsValue) -> (String, String) {
    let field = |key: &str| Reflect::get(e, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    let name = field("name").unwrap_or_default();
    let message = field("message").or_else(|| e.as_string()).unwrap_or_else(|| "WebUSB error".to_string());
    (name, message)
}

/// Maps a rejected transfer. A device that is gone shows as `NotFoundError: The device was disconnected.`
/// (Chromium), or as `NetworkError` when a transfer dies with it (see [`WebUsbTransport::failed`] for telling that
/// from a stall); anything else keeps its name and message.
fn js_error(e: JsValue) -> UsbError {
    match dom_error(&e) {
        (name, message) if name == "NotFoundError" && message.contains("disconnected") => UsbError::Disconnected,
        (name, _) if name == "NetworkError" => UsbError::Disconnected,
        (name, message) if name.is_empty() => UsbError::Other(message),
        (name, message) => UsbError::Other(format!("{name}: {message}")),
    }
}

/// How long a `NetworkError` waits for the browser to report an unplug before it counts as a stall. Chromium learns
/// of a removed device and of the transfers that died with it on separate paths, in either order; one event-loop
/// turn is not enough, a person's noticing is far more.
const UNPLUG_SETTLE_MS: u32 = 200;

/// Maps a failure to open or claim: the usual causes have a fix the user can apply.
fn open_error(e: JsValue) -> UsbError {
    let (name, message) = dom_error(&e);
    let hint = match name.as_str() {
        "SecurityError" => {
            "the browser may not open the board: on Linux install firmware/60-stapes.rules (udev) and replug it; \
             close other tabs or programs (picotool) using it"
        }
        // Chromium's "Unable to claim interface." / an operation on the interface still in progress elsewhere.
        "NetworkError" | "InvalidStateError" => "another tab or program holds the board: close it and retry",
        _ => return js_error(e),
    };
    UsbError::Other(format!("{name}: {message} ({hint})"))
}

fn status(status: UsbTransferStatus) -> Result<(), UsbError> {
    match status {
        UsbTransferStatus::Ok => Ok(()),
        UsbTransferStatus::Stall => Err(UsbError::Stall),
        other => Err(UsbError::Other(format!("transfer status {other:?}"))),
    }
}

/// Copies an IN transfer's data into `buf`; returns the byte count.
fn copy_in(result: &UsbInTransferResult, buf: &mut [u8]) -> Result<usize, UsbError> {
    status(result.status())?;
    let Some(view) = result.data() else { return Ok(0) };
    let n = view.byte_length();
    if n > buf.len() {
        return Err(UsbError::Other(format!("device sent {n} bytes where at most {} fit", buf.len())));
    }
    Uint8Array::new_with_byte_offset_and_length(&view.buffer(), view.byte_offset() as u32, n as u32)
        .copy_to(&mut buf[..n]);
    Ok(n)
}

impl WebUsbTransport {
    /// Opens `device` (from `navigator.usb.getDevices()` or `requestDevice()`), selects configuration 1 if none is
    /// active, finds the vendor-class (0xFF) interface and its bulk endpoints by descriptor (their numbers differ
    /// with and without the mass-storage interface), and claims it.
    pub async fn open(device: UsbDevice) -> Result<Self, UsbError> {
        if !device.opened() {
            device.open().await.map_err(open_error)?;
        }
        if device.configuration().is_none() {
            device.select_configuration(1).await.map_err(open_error)?;
        }
        let Some(config) = device.configuration() else {
            return Err(UsbError::Other("the device has no active configuration".into()));
        };
        for interface in config.interfaces().iter() {
            let alternate = interface.alternate();
            if alternate.interface_class() != INTERFACE_CLASS {
                continue;
            }
            let (mut ep_in, mut ep_out) = (None, None);
            for endpoint in alternate.endpoints().iter() {
                match endpoint.direction() {
                    UsbDirection::In => ep_in = Some(endpoint.endpoint_number()),
                    _ => ep_out = Some(endpoint.endpoint_number()),
                }
            }
            let (Some(ep_in), Some(ep_out)) = (ep_in, ep_out) else { continue };
            let number = interface.interface_number();
            device.claim_interface(number).await.map_err(open_error)?;
            return Ok(Self { device, interface: number, ep_in, ep_out });
        }
        Err(UsbError::Other(String::from(
            "no PICOBOOT interface (vendor class 0xFF with two bulk endpoints): is the board in BOOTSEL mode?",
        )))
    }

    /// Releases the interface and closes the device (errors ignored: it may already be gone after REBOOT2).
    pub async fn close(self) {
        let _ = self.device.release_interface(self.interface).await;
        let _ = self.device.close().await;
    }

    fn setup(&self, request: u8) -> UsbControlTransferParameters {
        UsbControlTransferParameters::new(
            u16::from(self.interface),
            UsbRecipient::Interface,
            request,
            UsbRequestType::Vendor,
            0,
        )
    }
}

impl WebUsbTransport {
    /// Maps a rejected transfer, telling a stall from an unplug on Windows: Chrome there rejects a stalled transfer
    /// with the same `NetworkError` as one cut by an unplug (services/device/usb/usb_device_handle_win.cc
    /// `TransferComplete` makes every WinUSB error TRANSFER_ERROR, and Blink's `CheckFatalTransferStatus` rejects
    /// that with NetworkError), where Linux and macOS resolve with `status: "stall"`. What follows tells them
    /// apart: an unplugged device leaves `navigator.usb.getDevices()`, a stalled one stays. A stall then goes the
    /// usual way: the status is read and the halt cleared.
    async fn failed(&self, e: JsValue) -> UsbError {
        if dom_error(&e).0 != "NetworkError" {
            return js_error(e);
        }
        self.sleep(UNPLUG_SETTLE_MS).await;
        if self.still_plugged().await { UsbError::Stall } else { UsbError::Disconnected }
    }

    /// Whether the device is still among the permitted, plugged-in devices (Chromium hands out one `USBDevice`
    /// object per device and page, so identity is the test). Without `navigator.usb` to ask, it counts as gone.
    async fn still_plugged(&self) -> bool {
        let usb = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
            .and_then(|navigator| Reflect::get(&navigator, &JsValue::from_str("usb")));
        let get_devices = usb
            .as_ref()
            .ok()
            .and_then(|usb| Reflect::get(usb, &JsValue::from_str("getDevices")).ok())
            .and_then(|f| f.dyn_into::<Function>().ok());
        let (Ok(usb), Some(get_devices)) = (usb, get_devices) else { return false };
        let Ok(promise) = get_devices.call0(&usb) else { return false };
        let Ok(devices) = Promise::resolve(&promise).into_future().await else { return false };
        let device: &JsValue = self.device.as_ref();
        js_sys::Array::from(&devices).iter().any(|d| js_sys::Object::is(&d, device))
    }
}

impl Transport for WebUsbTransport {
    fn product_id(&self) -> u16 {
        self.device.product_id()
    }

    async fn bulk_out(&mut self, data: &[u8]) -> Result<(), UsbError> {
        // The promise is created (and `data` copied out of wasm memory) before this call returns.
        let promise = self.device.transfer_out_with_u8_slice(self.ep_out, data).map_err(js_error)?;
        let result = match promise.await {
            Ok(result) => result,
            Err(e) => return Err(self.failed(e).await),
        };
        status(result.status())?;
        let written = result.bytes_written() as usize;
        if written != data.len() {
            return Err(UsbError::Other(format!("{written} of {} bytes sent", data.len())));
        }
        Ok(())
    }

    async fn bulk_in(&mut self, buf: &mut [u8]) -> Result<usize, UsbError> {
        // Ask for at least one byte: a zero-length acknowledgement still completes the transfer.
        let length = buf.len().max(1) as u32;
        let result = match self.device.transfer_in(self.ep_in, length).await {
            Ok(result) => result,
            Err(e) => return Err(self.failed(e).await),
        };
        copy_in(&result, buf)
    }

    async fn control_out(&mut self, request: u8) -> Result<(), UsbError> {
        let result = match self.device.control_transfer_out(&self.setup(request)).await {
            Ok(result) => result,
            Err(e) => return Err(self.failed(e).await),
        };
        status(result.status())
    }

    async fn control_in(&mut self, request: u8, buf: &mut [u8]) -> Result<usize, UsbError> {
        let length = u16::try_from(buf.len()).unwrap_or(u16::MAX);
        let result = match self.device.control_transfer_in(&self.setup(request), length).await {
            Ok(result) => result,
            Err(e) => return Err(self.failed(e).await),
        };
        copy_in(&result, buf)
    }

    async fn clear_halt(&mut self) -> Result<(), UsbError> {
        self.device.clear_halt(UsbDirection::In, self.ep_in).await.map_err(js_error)?;
        self.device.clear_halt(UsbDirection::Out, self.ep_out).await.map_err(js_error)?;
        Ok(())
    }

    /// `setTimeout` of the global scope (a window or a worker). WebUSB has no transfer timeout of its own; a
    /// transfer given up on stays queued in the browser until the device answers or is closed.
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> + 'static {
        let timer = Promise::new(&mut |resolve, _reject| {
            let set_timeout = Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            // Without a setTimeout (no JS scope has none) the timer never fires, and the transfer waits as before.
            if let Some(set_timeout) = set_timeout {
                let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms));
            }
        });
        let timer = timer.into_future();
        async move {
            let _ = timer.await;
        }
    }
}
