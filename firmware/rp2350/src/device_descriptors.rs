//! The node's USB device as embassy-usb builds it: device config, the vendor interface with its bulk pair, the
//! WebUSB capability and landing-page handler, and the MS OS 2.0 descriptor set. Generic over the USB driver, so
//! the host tests build it with a fake driver and check the bytes a host would read.

use embassy_usb::control::{InResponse, Recipient, Request, RequestType};
use embassy_usb::driver::Driver;
use embassy_usb::msos::{self, windows_version};
use embassy_usb::{Builder, Config, Handler};

use crate::usb::{
    CLASS_VENDOR, DEVICE_INTERFACE_GUID, DEVICE_RELEASE, MANUFACTURER, MAX_PACKET, MSOS_VENDOR_CODE, PID, PRODUCT, VID,
};
use crate::webusb::{self, CAPABILITY_PLATFORM, LANDING_PAGE_INDEX, UrlDescriptor};

/// Buffer sizes the builder needs (configuration, BOS and MS OS descriptors, control transfers); the tests check
/// the descriptors fit.
pub const CONFIG_DESC_LEN: usize = 64;
pub const BOS_DESC_LEN: usize = 128;
pub const MSOS_DESC_LEN: usize = 256;
pub const CONTROL_BUF_LEN: usize = 64;

/// The landing page URL descriptor, from `STAPES_LANDING_URL` at build time (a bad URL fails the build).
pub const LANDING: UrlDescriptor = match UrlDescriptor::try_new(env!("STAPES_LANDING_URL")) {
    Ok(d) => d,
    Err(_) => panic!("STAPES_LANDING_URL must be http:// or https:// plus at most 252 bytes"),
};

/// Answers WebUSB's GET_URL request with [`LANDING`].
pub struct LandingPage;

impl Handler for LandingPage {
    fn control_in(&mut self, req: Request, _buf: &mut [u8]) -> Option<InResponse<'_>> {
        let vendor_device = req.request_type == RequestType::Vendor && req.recipient == Recipient::Device;
        webusb::is_get_url(vendor_device, req.request, req.value, req.index)
            .then(|| InResponse::Accepted(LANDING.as_bytes()))
    }
}

/// The device descriptor's fields: IDs, strings (`serial` is the chip id in hex), not composite.
pub fn config(serial: &str) -> Config<'_> {
    let mut config = Config::new(VID, PID);
    config.manufacturer = Some(MANUFACTURER);
    config.product = Some(PRODUCT);
    config.serial_number = Some(serial);
    config.device_release = DEVICE_RELEASE;
    config.max_power = 100;
    config.max_packet_size_0 = 64;
    // One function: the class lives in the interface descriptor, no interface association descriptors.
    config.composite_with_iads = false;
    config.device_class = 0x00;
    config.device_sub_class = 0x00;
    config.device_protocol = 0x00;
    config
}

/// Adds the MS OS 2.0 set, the WebUSB capability and handler and the vendor interface to `builder`; returns the
/// bulk OUT (requests) and IN (replies, topics) endpoints.
pub fn add_node_interface<'d, D: Driver<'d>>(
    builder: &mut Builder<'d, D>,
    landing: &'d mut LandingPage,
) -> (D::EndpointOut, D::EndpointIn) {
    const CAPABILITY: [u8; 21] = webusb::platform_capability(webusb::VENDOR_CODE, LANDING_PAGE_INDEX);
    builder.msos_descriptor(windows_version::WIN8_1, MSOS_VENDOR_CODE);
    builder.msos_feature(msos::CompatibleIdFeatureDescriptor::new("WINUSB", ""));
    builder.msos_feature(msos::RegistryPropertyFeatureDescriptor::new(
        "DeviceInterfaceGUIDs",
        msos::PropertyData::RegMultiSz(&[DEVICE_INTERFACE_GUID]),
    ));
    builder.handler(landing);

    let mut function = builder.function(CLASS_VENDOR, 0, 0);
    let mut interface = function.interface();
    let mut alt = interface.alt_setting(CLASS_VENDOR, 0, 0, None);
    alt.bos_capability(CAPABILITY_PLATFORM, &CAPABILITY);
    let read = alt.endpoint_bulk_out(None, MAX_PACKET);
    let write = alt.endpoint_bulk_in(None, MAX_PACKET);
    (read, write)
}

#[cfg(test)]
mod tests;
