//! The USB device: descriptors (vendor interface, WebUSB, MS OS 2.0) and message transfers on the bulk pair.
//!
//! One message = one USB transfer: packets of [`MAX_PACKET`] bytes ended by a short packet, or by a zero-length
//! packet when the message is a multiple of the packet size (the framing postcard-rpc uses on USB too).

use embassy_rp::peripherals::USB;
use embassy_rp::usb::Driver;
use embassy_usb::driver::{Endpoint, EndpointError, EndpointIn, EndpointOut};
use embassy_usb::{Builder, UsbDevice};
use stapes_firmware::device_descriptors::{
    self, BOS_DESC_LEN, CONFIG_DESC_LEN, CONTROL_BUF_LEN, LandingPage, MSOS_DESC_LEN,
};
use stapes_firmware::usb::MAX_PACKET;
use stapes_node::protocol::needs_zlp;
use static_cell::StaticCell;

const _: () = assert!(MAX_PACKET as usize == stapes_node::protocol::USB_PACKET_LEN);

pub type UsbDriver = Driver<'static, USB>;
pub type BulkIn = <UsbDriver as embassy_usb::driver::Driver<'static>>::EndpointIn;
pub type BulkOut = <UsbDriver as embassy_usb::driver::Driver<'static>>::EndpointOut;

/// Builds the device (`stapes_firmware::device_descriptors`); returns it with the bulk OUT (requests) and IN
/// (replies, topics) endpoints.
pub fn build(driver: UsbDriver, serial: &'static str) -> (UsbDevice<'static, UsbDriver>, BulkOut, BulkIn) {
    static CONFIG_DESC: StaticCell<[u8; CONFIG_DESC_LEN]> = StaticCell::new();
    static BOS_DESC: StaticCell<[u8; BOS_DESC_LEN]> = StaticCell::new();
    static MSOS_DESC: StaticCell<[u8; MSOS_DESC_LEN]> = StaticCell::new();
    static CONTROL_BUF: StaticCell<[u8; CONTROL_BUF_LEN]> = StaticCell::new();
    static LANDING: StaticCell<LandingPage> = StaticCell::new();
    let mut builder = Builder::new(
        driver,
        device_descriptors::config(serial),
        CONFIG_DESC.init([0; CONFIG_DESC_LEN]),
        BOS_DESC.init([0; BOS_DESC_LEN]),
        MSOS_DESC.init([0; MSOS_DESC_LEN]),
        CONTROL_BUF.init([0; CONTROL_BUF_LEN]),
    );
    let (read, write) = device_descriptors::add_node_interface(&mut builder, LANDING.init(LandingPage));
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
/// whole `MAX_MESSAGE_LEN`, which ends the host's read by itself). An empty message (the node never makes one) is
/// sent as a zero-length packet: `write_transfer(&[], false)` would send nothing and leave the host waiting
/// (embassy-usb-driver 0.2.2 `EndpointIn::write_transfer` writes one packet per chunk, then the ZLP if asked).
pub async fn write_message(ep: &mut BulkIn, message: &[u8]) -> Result<(), EndpointError> {
    ep.write_transfer(message, needs_zlp(message.len()) || message.is_empty()).await
}

/// Waits until the host has configured the device (the endpoint is enabled).
pub async fn wait_enabled(ep: &mut impl Endpoint) {
    ep.wait_enabled().await;
}
