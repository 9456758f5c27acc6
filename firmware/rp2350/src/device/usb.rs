//! The USB device: descriptors (vendor interface, WebUSB, MS OS 2.0), the bulk pair, and the bus events that end a
//! session on the [`LINK`] (messages and sessions live in `stapes_firmware::link`).

use embassy_rp::peripherals::USB;
use embassy_rp::usb::Driver;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_usb::{Builder, UsbDevice};
use stapes_firmware::device_descriptors::{
    self, BOS_DESC_LEN, CONFIG_DESC_LEN, CONTROL_BUF_LEN, LandingPage, MSOS_DESC_LEN,
};
use stapes_firmware::link::{BusEvents, Link};
use stapes_firmware::usb::MAX_PACKET;
use static_cell::StaticCell;

const _: () = assert!(MAX_PACKET as usize == stapes_node::protocol::USB_PACKET_LEN);

pub type UsbDriver = Driver<'static, USB>;
pub type BulkIn = <UsbDriver as embassy_usb::driver::Driver<'static>>::EndpointIn;
pub type BulkOut = <UsbDriver as embassy_usb::driver::Driver<'static>>::EndpointOut;

/// The link to the host: shared by the `requests`, `messages` and `pipeline` tasks and the device's bus events.
pub static LINK: Link<CriticalSectionRawMutex> = Link::new();

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
    static EVENTS: StaticCell<BusEvents<'static, CriticalSectionRawMutex>> = StaticCell::new();
    builder.handler(EVENTS.init(BusEvents(&LINK)));
    (builder.build(), read, write)
}
