//! WebUSB descriptors: the BOS platform capability that marks the node as WebUSB-aware, and the landing-page URL
//! descriptor Chrome asks for (https://wicg.github.io/webusb/#webusb-descriptors).
//!
//! Written here rather than with `embassy_usb::class::web_usb`, which adds a second, empty vendor interface: that
//! would make the node a composite device, and Windows would then ignore the device-level MS OS 2.0 `WINUSB` id.

/// `bRequest` of WebUSB's GET_URL request (the capability's `bVendorCode`).
pub const VENDOR_CODE: u8 = 0x01;
/// `iLandingPage`: the URL index announced in the capability (0 would mean "no landing page").
pub const LANDING_PAGE_INDEX: u8 = 1;
/// `wIndex` of a GET_URL request.
pub const GET_URL: u16 = 2;
/// Device capability type "platform" (USB 3.2 §9.6.2.4).
pub const CAPABILITY_PLATFORM: u8 = 0x05;

/// WebUSB's PlatformCapabilityUUID {3408b638-09a9-47a0-8bfd-a0768815b665}, in its little-endian wire order.
const PLATFORM_UUID: [u8; 16] =
    [0x38, 0xB6, 0x08, 0x34, 0xA9, 0x09, 0xA0, 0x47, 0x8B, 0xFD, 0xA0, 0x76, 0x88, 0x15, 0xB6, 0x65];

/// Body of the platform capability descriptor after its 3-byte header (bLength, bDescriptorType,
/// bDevCapabilityType, which embassy-usb's `bos_capability` writes): bReserved, the UUID, bcdVersion 1.0,
/// bVendorCode, iLandingPage.
pub const fn platform_capability(vendor_code: u8, landing_page: u8) -> [u8; 21] {
    let mut out = [0u8; 21];
    let mut i = 0;
    while i < 16 {
        out[1 + i] = PLATFORM_UUID[i];
        i += 1;
    }
    out[17] = 0x00; // bcdVersion 1.00, little endian
    out[18] = 0x01;
    out[19] = vendor_code;
    out[20] = landing_page;
    out
}

/// Whether a control IN request is WebUSB's GET_URL for our landing page (vendor type, device recipient).
pub const fn is_get_url(vendor_device_request: bool, request: u8, value: u16, index: u16) -> bool {
    vendor_device_request && request == VENDOR_CODE && value == LANDING_PAGE_INDEX as u16 && index == GET_URL
}

/// Why a landing-page URL cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// Neither `http://` nor `https://`.
    Scheme,
    /// Nothing after the scheme.
    Empty,
    /// More than 252 bytes after the scheme (a descriptor's length is one byte, three go to the header).
    TooLong,
}

/// A URL descriptor (bLength, bDescriptorType 3, bScheme, the URL without its scheme), built at compile time.
#[derive(Debug, Clone, Copy)]
pub struct UrlDescriptor {
    bytes: [u8; 255],
}

impl UrlDescriptor {
    /// Encodes `url` (`http://…` or `https://…`).
    pub const fn try_new(url: &str) -> Result<Self, UrlError> {
        let url = url.as_bytes();
        let (scheme, skip) = if starts_with(url, b"https://") {
            (1, 8)
        } else if starts_with(url, b"http://") {
            (0, 7)
        } else {
            return Err(UrlError::Scheme);
        };
        let len = url.len() - skip;
        if len == 0 {
            return Err(UrlError::Empty);
        }
        if len > 252 {
            return Err(UrlError::TooLong);
        }
        let mut bytes = [0u8; 255];
        bytes[0] = (3 + len) as u8;
        bytes[1] = 0x03;
        bytes[2] = scheme;
        let mut i = 0;
        while i < len {
            bytes[3 + i] = url[skip + i];
            i += 1;
        }
        Ok(UrlDescriptor { bytes })
    }

    /// The descriptor as sent on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.bytes[0] as usize]
    }
}

const fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    if s.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if s[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_carries_the_webusb_uuid_version_code_and_page() {
        let body = platform_capability(VENDOR_CODE, LANDING_PAGE_INDEX);
        // bLength = 3-byte header + body: 24, as the WebUSB spec's table gives.
        assert_eq!(3 + body.len(), 24);
        assert_eq!(body[0], 0, "bReserved");
        // The UUID's first field 0x3408b638 is little endian on the wire.
        assert_eq!(u32::from_le_bytes(body[1..5].try_into().unwrap()), 0x3408_B638);
        assert_eq!(u16::from_le_bytes(body[5..7].try_into().unwrap()), 0x09A9);
        assert_eq!(u16::from_le_bytes(body[7..9].try_into().unwrap()), 0x47A0);
        assert_eq!(body[9..17], [0x8B, 0xFD, 0xA0, 0x76, 0x88, 0x15, 0xB6, 0x65]);
        assert_eq!(u16::from_le_bytes([body[17], body[18]]), 0x0100, "bcdVersion 1.0");
        assert_eq!((body[19], body[20]), (VENDOR_CODE, LANDING_PAGE_INDEX));
    }

    #[test]
    fn url_descriptor_strips_the_scheme_into_bscheme() {
        let d = UrlDescriptor::try_new("http://127.0.0.1:8080").unwrap();
        assert_eq!(d.as_bytes()[..3], [3 + 14, 0x03, 0]);
        assert_eq!(&d.as_bytes()[3..], b"127.0.0.1:8080");
        let d = UrlDescriptor::try_new("https://stapes.example/app").unwrap();
        assert_eq!(d.as_bytes()[2], 1);
        assert_eq!(&d.as_bytes()[3..], b"stapes.example/app");
    }

    #[test]
    fn url_descriptor_refuses_what_cannot_be_encoded() {
        assert_eq!(UrlDescriptor::try_new("ftp://x").unwrap_err(), UrlError::Scheme);
        assert_eq!(UrlDescriptor::try_new("127.0.0.1").unwrap_err(), UrlError::Scheme);
        assert_eq!(UrlDescriptor::try_new("https://").unwrap_err(), UrlError::Empty);
        let longest = format!("https://{}", "a".repeat(252));
        assert_eq!(UrlDescriptor::try_new(&longest).unwrap().as_bytes().len(), 255);
        let too_long = format!("https://{}", "a".repeat(253));
        assert_eq!(UrlDescriptor::try_new(&too_long).unwrap_err(), UrlError::TooLong);
    }

    #[test]
    fn get_url_matches_only_our_code_index_and_page() {
        assert!(is_get_url(true, VENDOR_CODE, 1, GET_URL));
        assert!(!is_get_url(false, VENDOR_CODE, 1, GET_URL));
        assert!(!is_get_url(true, crate::usb::MSOS_VENDOR_CODE, 1, GET_URL));
        assert!(!is_get_url(true, VENDOR_CODE, 2, GET_URL));
        assert!(!is_get_url(true, VENDOR_CODE, 1, 7));
    }
}
