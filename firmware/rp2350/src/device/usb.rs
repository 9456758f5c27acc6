//! The USB device: descriptors (vendor interface, WebUSB, MS OS 2.0) and message transfers on the bulk pair.
//!
//! One message = one USB transfer: packets of [`MAX_PACKET`] bytes ended by a short packet, or by a zero-length
//! packet when the message is a multiple of the packet size (the framing postcard-rpc uses on USB too).

use embassy_rp::peripherals::USB;
use embassy_rp::usb::Driver;
use embassy_usb::control::{InResponse, Recipient, Request, RequestType};
use embassy_usb::driver::{Endpoint, EndpointError, EndpointIn, EndpointOut};
use embassy_usb::msos::{self, windows_version};
use embassy_usb::{Builder, Config, Handler, UsbDevice};
use stapes_firmware::usb::{
    CLASS_VENDOR, DEVICE_INTERFACE_GUID, DEVICE_RELEASE, MANUFACTURER, MAX_PACKET, MSOS_VENDOR_CODE, PID, PRODUCT, VID,
};
use stapes_firmware::webusb::{self, CAPABILITY_PLATFORM, LANDING_PAGE_INDEX, UrlDescriptor};
use stapes_node::protocol::needs_zlp;
use static_cell::StaticCell;

/// The landing page URL descriptor, from `STAPES_LANDING_URL` at build time (a bad URL fails the build).
const LANDING: UrlDescriptor = match UrlDescriptor::try_new(env!("STAPES_LANDING_URL")) {
    Ok(d) => d,
    Err(_) => panic!("STAPES_LANDING_URL must be http:// or https:// plus at most 252 bytes"),
};

const _: () = assert!(MAX_PACKET as usize == stapes_node::protocol::USB_PACKET_LEN);

pub type UsbDriver = Driver<'static, USB>;
pub type BulkIn = <UsbDriver as embassy_usb::driver::Driver<'static>>::EndpointIn;
pub type BulkOut = <UsbDriver as embassy_usb::driver::Driver<'static>>::EndpointOut;

/// Answers WebUSB's GET_URL with [`LANDING`].
struct WebUsbUrl;

impl Handler for WebUsbUrl {
    fn control_in(&mut self, req: Request, _buf: &mut [u8]) -> Option<InResponse<'_>> {
        let vendor_device = req.request_type == RequestType::Vendor && req.recipient == Recipient::Device;
        webusb::is_get_url(vendor_device, req.request, req.value, req.index)
            .then(|| InResponse::Accepted(LANDING.as_bytes()))
    }
}

/// Builds the device; returns it with the bulk OUT (requests) and IN (replies, stream) endpoints.
pub fn build(driver: UsbDriver, serial: &'static str) -> (UsbDevice<'static, UsbDriver>, BulkOut, BulkIn) {
    static CONFIG_DESC: StaticCell<[u8; 64]> = StaticCell::new();
    static BOS_DESC: StaticCell<[u8; 128]> = StaticCell::new();
    static MSOS_DESC: StaticCell<[u8; 256]> = StaticCell::new();
    static CONTROL_BUF: StaticCell<[u8; 64]> = StaticCell::new();
    static URL_HANDLER: StaticCell<WebUsbUrl> = StaticCell::new();
    const CAPABILITY: [u8; 21] = webusb::platform_capability(webusb::VENDOR_CODE, LANDING_PAGE_INDEX);

    let mut config = Config::new(VID, PID);
    config.manufacturer = Some(MANUFACTURER);
    config.product = Some(PRODUCT);
    config.serial_number = Some(serial);
    config.device_release = DEVICE_RELEASE;
    config.max_power = 100;
    config.max_packet_size_0 = 64;
    // Not composite: the class lives in the interface descriptor.
    config.composite_with_iads = false;
    config.device_class = 0x00;
    config.device_sub_class = 0x00;
    config.device_protocol = 0x00;

    let mut builder = Builder::new(
        driver,
        config,
        CONFIG_DESC.init([0; 64]),
        BOS_DESC.init([0; 128]),
        MSOS_DESC.init([0; 256]),
        CONTROL_BUF.init([0; 64]),
    );
    builder.msos_descriptor(windows_version::WIN8_1, MSOS_VENDOR_CODE);
    builder.msos_feature(msos::CompatibleIdFeatureDescriptor::new("WINUSB", ""));
    builder.msos_feature(msos::RegistryPropertyFeatureDescriptor::new(
        "DeviceInterfaceGUIDs",
        msos::PropertyData::RegMultiSz(&[DEVICE_INTERFACE_GUID]),
    ));
    builder.handler(URL_HANDLER.init(WebUsbUrl));

    let mut function = builder.function(CLASS_VENDOR, 0, 0);
    let mut interface = function.interface();
    let mut alt = interface.alt_setting(CLASS_VENDOR, 0, 0, None);
    alt.bos_capability(CAPABILITY_PLATFORM, &CAPABILITY);
    let read = alt.endpoint_bulk_out(None, MAX_PACKET);
    let write = alt.endpoint_bulk_in(None, MAX_PACKET);
    drop(function);
    (builder.build(), read, write)
}

/// Why a message could not be received.
pub enum RxError {
    /// Longer than the buffer: the buffer holds its first bytes (the count), the rest was read and thrown away.
    TooLong(usize),
    /// The host went away (unplugged, reset, deconfigured).
    Disabled,
}

/// Reads one message (one transfer) into `buf`; its length.
pub async fn read_message(ep: &mut BulkOut, buf: &mut [u8]) -> Result<usize, RxError> {
    let mut len = 0;
    let mut overflow = false;
    let mut packet = [0u8; MAX_PACKET as usize];
    loop {
        let n = match ep.read(&mut packet).await {
            Ok(n) => n,
            // A packet over the endpoint's size: the host broke the framing; resynchronise on the next transfer.
            Err(EndpointError::BufferOverflow) => return Err(RxError::TooLong(len)),
            Err(EndpointError::Disabled) => return Err(RxError::Disabled),
        };
        let keep = n.min(buf.len() - len);
        buf[len..len + keep].copy_from_slice(&packet[..keep]);
        len += keep;
        overflow |= keep < n;
        if n < MAX_PACKET as usize {
            return if overflow { Err(RxError::TooLong(len)) } else { Ok(len) };
        }
    }
}

/// Writes `message` as one transfer (a zero-length packet ends it when it fills its last packet, unless it is a
/// whole `MAX_MESSAGE_LEN`, which ends the host's read by itself).
pub async fn write_message(ep: &mut BulkIn, message: &[u8]) -> Result<(), EndpointError> {
    for packet in message.chunks(MAX_PACKET as usize) {
        ep.write(packet).await?;
    }
    if needs_zlp(message.len()) {
        ep.write(&[]).await?;
    }
    Ok(())
}

/// Waits until the host has configured the device (the endpoint is enabled).
pub async fn wait_enabled(ep: &mut impl Endpoint) {
    ep.wait_enabled().await;
}
