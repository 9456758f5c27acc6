//! What the node says about itself on USB: IDs, strings, the vendor interface and the Windows (MS OS 2.0) data.
//!
//! The device is not composite: one vendor-class interface (0xFF) with one bulk endpoint pair, so the device-level
//! MS OS 2.0 `WINUSB` compatible id makes Windows bind WinUSB without an INF, and WebUSB claims interface 0.

/// pid.codes' vendor id (open-source hardware and software).
pub const VID: u16 = 0x1209;
/// pid.codes' *test* product id: for development and private testing only, never for distributed devices. A
/// project shipping boards requests its own free PID from pid.codes and changes only this constant (and the udev
/// rule, `firmware/60-stapes.rules`).
pub const PID: u16 = 0x0001;
/// `bcdDevice`. Windows caches a device's MS OS answer per VID/PID/bcdDevice: bump this whenever a descriptor
/// changes, or Windows keeps using the old ones.
pub const DEVICE_RELEASE: u16 = 0x0100;

/// Manufacturer string.
pub const MANUFACTURER: &str = "stapes";
/// Product string (what browsers show in the WebUSB chooser).
pub const PRODUCT: &str = "stapes node (Pico 2)";

/// Interface number the dashboard claims (the only interface).
pub const INTERFACE: u8 = 0;
/// Class of that interface: vendor specific.
pub const CLASS_VENDOR: u8 = 0xFF;
/// Max packet size of the bulk endpoints (USB full speed).
pub const MAX_PACKET: u16 = 64;

/// `bRequest` of the MS OS 2.0 descriptor-set request. Must differ from [`crate::webusb::VENDOR_CODE`]: Windows and
/// the browser each send their vendor request, and one code for both would answer one of them wrongly.
pub const MSOS_VENDOR_CODE: u8 = 0x02;
/// `DeviceInterfaceGUIDs` registry value (generated once for stapes): lets WinUSB clients find the node.
pub const DEVICE_INTERFACE_GUID: &str = "{7577C684-8B92-4D05-B76A-08E7788BB805}";

const _: () = assert!(MSOS_VENDOR_CODE != crate::webusb::VENDOR_CODE);

/// The USB serial number: the chip's 64-bit unique id (OTP CHIPID) as 16 upper-case hex digits, most significant
/// first, so it reads like picotool's serial for the same board.
pub const fn serial_number(chip_id: u64) -> [u8; 16] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = HEX[((chip_id >> (60 - 4 * i)) & 0xF) as usize];
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_is_the_chip_id_in_hex_most_significant_first() {
        assert_eq!(&serial_number(0x0123_4567_89AB_CDEF), b"0123456789ABCDEF");
        assert_eq!(&serial_number(0xE660_5838_7B2F_1A2C), b"E66058387B2F1A2C");
        assert_eq!(&serial_number(0), b"0000000000000000");
    }

    #[test]
    fn guid_is_braced_upper_case_8_4_4_4_12() {
        let g = DEVICE_INTERFACE_GUID.as_bytes();
        assert_eq!((g[0], g[g.len() - 1], g.len()), (b'{', b'}', 38));
        let groups: Vec<usize> = DEVICE_INTERFACE_GUID[1..37].split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(
            DEVICE_INTERFACE_GUID[1..37].bytes().all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
    }
}
