//! The browser side of an update: the bundled image (fetched beside the page and checked against its manifest),
//! finding or requesting the RP2350 bootloader on `navigator.usb`, flashing it with the flasher over WebUSB, and
//! waiting for devices to enumerate.

use std::cell::Cell;
use std::ops::ControlFlow;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use stapes_flasher::uf2::Uf2;
use stapes_flasher::{FlashError, Flasher, Progress, WebUsbTransport};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Usb, UsbDevice, UsbDeviceFilter, UsbDeviceRequestOptions};

use super::{Manifest, protected};

/// Where trunk copies `cargo xtask firmware`'s manifest (index.html, `copy-dir` of the firmware bundle).
const MANIFEST_URL: &str = "firmware/stapes-node.json";
/// USB ids of the RP2350 bootrom (the flasher's target) and, to refuse it by name, the RP2040's.
const BOOTLOADERS: [(u16, u16); 2] = [(0x2e8a, 0x000f), (0x2e8a, 0x0003)];
/// USB ids of a stapes node (`firmware/rp2350/src/usb.rs`).
const NODE: (u16, u16) = (0x1209, 0x0001);

/// The message of a rejected browser promise.
fn js_message(e: &JsValue) -> String {
    let (name, message) = crate::session::js_error(e);
    format!("{name}: {message}")
}

/// `navigator.usb`, when the browser has WebUSB.
pub fn usb() -> Option<Usb> {
    let navigator = web_sys::window()?.navigator();
    let usb = js_sys::Reflect::get(&navigator, &"usb".into()).ok()?;
    (!usb.is_undefined()).then(|| usb.unchecked_into())
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Milliseconds since the page loaded.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(|e| js_message(&e))?.unchecked_into();
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let buffer =
        JsFuture::from(response.array_buffer().map_err(|e| js_message(&e))?).await.map_err(|e| js_message(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// SHA-256 of `bytes` in lowercase hex (the browser's WebCrypto).
async fn sha256(bytes: &[u8]) -> Result<String, String> {
    let subtle = web_sys::window().ok_or("no window")?.crypto().map_err(|e| js_message(&e))?.subtle();
    let digest = subtle.digest_with_str_and_u8_array("SHA-256", bytes).map_err(|e| js_message(&e))?;
    let digest = JsFuture::from(digest).await.map_err(|e| js_message(&e))?;
    Ok(Uint8Array::new(&digest).to_vec().iter().map(|b| format!("{b:02x}")).collect())
}

/// The firmware bundled with the page: its manifest and the UF2, checked against the manifest and validated.
pub async fn bundled() -> Result<(Manifest, Uf2), String> {
    let json = fetch_bytes(MANIFEST_URL).await.map_err(|e| format!("no bundled firmware ({e})"))?;
    let manifest = Manifest::parse(&String::from_utf8_lossy(&json))?;
    let file = fetch_bytes(&format!("firmware/{}", manifest.file)).await?;
    manifest.verify(file.len(), &sha256(&file).await?)?;
    let uf2 = super::check(&file)?;
    Ok((manifest, uf2))
}

/// A UF2 the user picked from disk, validated.
pub async fn from_file(file: &web_sys::File) -> Result<Uf2, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| js_message(&e))?;
    super::check(&Uint8Array::new(&buffer).to_vec())
}

fn matches(device: &UsbDevice, (vendor, product): (u16, u16)) -> bool {
    device.vendor_id() == vendor && device.product_id() == product
}

/// The first permitted device with one of `ids`.
pub async fn permitted(usb: &Usb, ids: &[(u16, u16)]) -> Result<Option<UsbDevice>, String> {
    let devices = usb.get_devices().await.map_err(|e| js_message(&e))?;
    Ok(devices.iter().find(|d| ids.iter().any(|id| matches(d, *id))))
}

/// A permitted bootloader, waiting up to `wait_ms` for one to enumerate (a node restarting into it takes a moment).
pub async fn find_bootloader(usb: &Usb, wait_ms: f64) -> Result<Option<UsbDevice>, String> {
    let start = now_ms();
    loop {
        if let Some(device) = permitted(usb, &BOOTLOADERS).await? {
            return Ok(Some(device));
        }
        if now_ms() - start >= wait_ms {
            return Ok(None);
        }
        sleep(250).await;
    }
}

/// A permitted node, waiting up to `wait_ms` for it to enumerate after REBOOT2: the one with USB serial number
/// `serial` when given (another permitted node may be plugged in), else the first.
pub async fn find_node(usb: &Usb, wait_ms: f64, serial: Option<&str>) -> Result<Option<UsbDevice>, String> {
    let start = now_ms();
    loop {
        let devices = usb.get_devices().await.map_err(|e| js_message(&e))?;
        let node =
            devices.iter().find(|d| matches(d, NODE) && serial.is_none_or(|s| d.serial_number().as_deref() == Some(s)));
        if let Some(device) = node {
            return Ok(Some(device));
        }
        if now_ms() - start >= wait_ms {
            return Ok(None);
        }
        sleep(250).await;
    }
}

/// Whether a bootloader's USB serial number is a node's: the chip id as 16 hex digits, which the node firmware
/// reports in the same form (`firmware/rp2350/src/usb.rs` `serial_number`, "so it reads like picotool's serial for
/// the same board"). Then the node that comes back after flashing is known by it.
pub fn is_node_serial(serial: &str) -> bool {
    serial.len() == 16 && serial.chars().all(|c| c.is_ascii_hexdigit())
}

/// The browser's chooser, listing bootloaders only (must follow a click). `None` if the user picked nothing.
pub async fn request_bootloader(usb: &Usb) -> Result<Option<UsbDevice>, String> {
    let filters: Vec<UsbDeviceFilter> = BOOTLOADERS
        .iter()
        .map(|&(vendor, product)| {
            let filter = UsbDeviceFilter::new();
            filter.set_vendor_id(vendor);
            filter.set_product_id(product);
            filter
        })
        .collect();
    match usb.request_device(&UsbDeviceRequestOptions::new(&filters)).await {
        Ok(device) => Ok(Some(device)),
        Err(e) if crate::session::js_error(&e).0 == "NotFoundError" => Ok(None),
        Err(e) => Err(js_message(&e)),
    }
}

/// Flashes `uf2` onto the bootloader `device`: `progress` after every verified sector (bytes), `cancel` checked
/// between sectors. The settings store is protected. The transport is closed afterwards, whatever happened.
pub async fn flash(
    device: UsbDevice,
    uf2: &Uf2,
    cancel: Rc<Cell<bool>>,
    mut progress: impl FnMut(Progress),
) -> Result<(), FlashError> {
    let transport = WebUsbTransport::open(device)
        .await
        .map_err(|e| FlashError::Usb { command: "opening the bootloader", message: e.to_string() })?;
    let mut flasher = Flasher::new(transport).protect(protected());
    let result = flasher
        .flash(uf2, |p| {
            progress(p);
            if cancel.get() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .await;
    flasher.into_transport().close().await;
    result
}
