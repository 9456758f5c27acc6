//! The descriptors a host reads from the node, built by embassy-usb over a fake driver.

use core::future::pending;

use embassy_usb::driver::{
    Bus, ControlPipe, Direction, Driver, Endpoint, EndpointAddress, EndpointAllocError, EndpointError, EndpointIn,
    EndpointInfo, EndpointOut, EndpointType, Event, Unsupported,
};
use embassy_usb::{Builder, Handler};

use super::*;

/// A driver that hands out endpoint numbers and never moves data (building descriptors needs no bus).
struct FakeDriver {
    next: [usize; 2],
}

struct FakeEndpoint(EndpointInfo);
struct FakeBus;
struct FakeControl;

impl FakeDriver {
    fn alloc(&mut self, dir: Direction, ep_type: EndpointType, max_packet_size: u16) -> FakeEndpoint {
        let slot = &mut self.next[usize::from(dir == Direction::In)];
        *slot += 1;
        let addr = EndpointAddress::from_parts(*slot, dir);
        FakeEndpoint(EndpointInfo { addr, ep_type, max_packet_size, interval_ms: 0 })
    }
}

impl<'a> Driver<'a> for FakeDriver {
    type EndpointOut = FakeEndpoint;
    type EndpointIn = FakeEndpoint;
    type ControlPipe = FakeControl;
    type Bus = FakeBus;

    fn alloc_endpoint_out(
        &mut self,
        ep_type: EndpointType,
        _addr: Option<EndpointAddress>,
        max_packet_size: u16,
        _interval_ms: u8,
    ) -> Result<FakeEndpoint, EndpointAllocError> {
        Ok(self.alloc(Direction::Out, ep_type, max_packet_size))
    }

    fn alloc_endpoint_in(
        &mut self,
        ep_type: EndpointType,
        _addr: Option<EndpointAddress>,
        max_packet_size: u16,
        _interval_ms: u8,
    ) -> Result<FakeEndpoint, EndpointAllocError> {
        Ok(self.alloc(Direction::In, ep_type, max_packet_size))
    }

    fn start(self, _control_max_packet_size: u16) -> (FakeBus, FakeControl) {
        (FakeBus, FakeControl)
    }
}

impl Endpoint for FakeEndpoint {
    fn info(&self) -> &EndpointInfo {
        &self.0
    }
    async fn wait_enabled(&mut self) {
        pending().await
    }
}

impl EndpointOut for FakeEndpoint {
    async fn read(&mut self, _buf: &mut [u8]) -> Result<usize, EndpointError> {
        pending().await
    }
}

impl EndpointIn for FakeEndpoint {
    async fn write(&mut self, _buf: &[u8]) -> Result<(), EndpointError> {
        pending().await
    }
}

impl Bus for FakeBus {
    async fn enable(&mut self) {}
    async fn disable(&mut self) {}
    async fn poll(&mut self) -> Event {
        pending().await
    }
    fn endpoint_set_enabled(&mut self, _ep_addr: EndpointAddress, _enabled: bool) {}
    fn endpoint_set_stalled(&mut self, _ep_addr: EndpointAddress, _stalled: bool) {}
    fn endpoint_is_stalled(&mut self, _ep_addr: EndpointAddress) -> bool {
        false
    }
    async fn remote_wakeup(&mut self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
}

impl ControlPipe for FakeControl {
    fn max_packet_size(&self) -> usize {
        64
    }
    async fn setup(&mut self) -> [u8; 8] {
        pending().await
    }
    async fn data_out(&mut self, _buf: &mut [u8], _first: bool, _last: bool) -> Result<usize, EndpointError> {
        pending().await
    }
    async fn data_in(&mut self, _data: &[u8], _first: bool, _last: bool) -> Result<(), EndpointError> {
        pending().await
    }
    async fn accept(&mut self) {}
    async fn reject(&mut self) {}
    async fn accept_set_address(&mut self, _addr: u8) {}
}

/// The configuration, BOS and MS OS 2.0 descriptors as built for the device (each cut to its total length).
struct Descriptors {
    config: Vec<u8>,
    bos: Vec<u8>,
    msos: Vec<u8>,
    endpoints: (EndpointInfo, EndpointInfo),
}

fn build() -> Descriptors {
    let mut config_buf = [0u8; CONFIG_DESC_LEN];
    let mut bos_buf = [0u8; BOS_DESC_LEN];
    let mut msos_buf = [0u8; MSOS_DESC_LEN];
    let mut control_buf = [0u8; CONTROL_BUF_LEN];
    let mut landing = LandingPage;
    let endpoints = {
        let driver = FakeDriver { next: [0, 0] };
        let mut builder = Builder::new(
            driver,
            config("0123456789ABCDEF"),
            &mut config_buf,
            &mut bos_buf,
            &mut msos_buf,
            &mut control_buf,
        );
        let (read, write) = add_node_interface(&mut builder, &mut landing);
        drop(builder.build());
        (read.0, write.0)
    };
    let total = |buf: &[u8]| usize::from(u16::from_le_bytes([buf[2], buf[3]]));
    let msos_len = usize::from(u16::from_le_bytes([msos_buf[8], msos_buf[9]]));
    Descriptors {
        config: config_buf[..total(&config_buf)].to_vec(),
        bos: bos_buf[..total(&bos_buf)].to_vec(),
        msos: msos_buf[..msos_len].to_vec(),
        endpoints,
    }
}

/// The descriptors in a descriptor list, as (type, bytes).
fn descriptors(mut bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let [len, kind, ..] = *bytes {
        let (one, rest) = bytes.split_at(usize::from(len));
        out.push((kind, one));
        bytes = rest;
    }
    out
}

/// A little-endian GUID's wire bytes from its text form.
fn guid_bytes(text: &str) -> [u8; 16] {
    let hex: String = text.chars().filter(char::is_ascii_hexdigit).collect();
    let b: Vec<u8> = (0..16).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
}

#[test]
fn one_vendor_interface_with_a_64_byte_bulk_pair() {
    let d = build();
    let list = descriptors(&d.config);
    let kinds: Vec<u8> = list.iter().map(|(k, _)| *k).collect();
    // Configuration, interface, two endpoints: no interface association (not composite).
    assert_eq!(kinds, [0x02, 0x04, 0x05, 0x05]);
    assert_eq!(list[0].1[4], 1, "bNumInterfaces");
    let iface = list[1].1;
    assert_eq!((iface[2], iface[4], iface[5], iface[6], iface[7]), (0, 2, 0xFF, 0, 0));
    for (_, ep) in &list[2..] {
        assert_eq!(ep[3] & 0x03, 0x02, "bulk");
        assert_eq!(u16::from_le_bytes([ep[4], ep[5]]), 64);
    }
    let dirs: Vec<u8> = list[2..].iter().map(|(_, ep)| ep[2] & 0x80).collect();
    assert_eq!(dirs, [0x00, 0x80], "OUT then IN");
    assert_eq!((d.endpoints.0.addr.is_out(), d.endpoints.1.addr.is_in()), (true, true));
}

#[test]
fn bos_announces_webusb_and_ms_os_20_with_distinct_vendor_codes() {
    let d = build();
    let list = descriptors(&d.bos);
    assert_eq!(list[0].0, 0x0F, "BOS header");
    let platform: Vec<&[u8]> = list.iter().filter(|(k, c)| *k == 0x10 && c[2] == 0x05).map(|(_, c)| *c).collect();
    assert_eq!(list[0].1[4] as usize, list.len() - 1, "bNumDeviceCaps");
    let webusb = platform.iter().find(|c| c[4..20] == guid_bytes("3408b638-09a9-47a0-8bfd-a0768815b665")).unwrap();
    assert_eq!(webusb.len(), 24);
    assert_eq!((webusb[22], webusb[23]), (webusb::VENDOR_CODE, LANDING_PAGE_INDEX));
    let msos = platform.iter().find(|c| c[4..20] == guid_bytes("D8DD60DF-4589-4CC7-9CD2-659D9E648A9F")).unwrap();
    assert_eq!(u32::from_le_bytes(msos[20..24].try_into().unwrap()), 0x0603_0000, "Windows 8.1");
    assert_eq!(usize::from(u16::from_le_bytes([msos[24], msos[25]])), d.msos.len());
    assert_eq!(msos[26], MSOS_VENDOR_CODE);
    assert_ne!(msos[26], webusb[22]);
}

#[test]
fn ms_os_20_set_binds_winusb_to_the_whole_device_with_our_guid() {
    let d = build();
    // MS OS 2.0 descriptors: wLength, wDescriptorType (16-bit each).
    let mut kinds = Vec::new();
    let mut at = 0;
    while at < d.msos.len() {
        let len = usize::from(u16::from_le_bytes([d.msos[at], d.msos[at + 1]]));
        kinds.push((u16::from_le_bytes([d.msos[at + 2], d.msos[at + 3]]), &d.msos[at..at + len]));
        at += len;
    }
    let types: Vec<u16> = kinds.iter().map(|(k, _)| *k).collect();
    // Set header, compatible id, registry property; no configuration/function subsets (device level).
    assert_eq!(types, [0x00, 0x03, 0x04]);
    assert_eq!(&kinds[1].1[4..12], b"WINUSB\0\0");
    let property = kinds[2].1;
    assert_eq!(u16::from_le_bytes([property[4], property[5]]), 7, "REG_MULTI_SZ");
    let name_len = usize::from(u16::from_le_bytes([property[6], property[7]]));
    assert_eq!(property[8..8 + name_len], utf16z("DeviceInterfaceGUIDs"));
    let data = &property[8 + name_len + 2..];
    let mut guids = utf16z(DEVICE_INTERFACE_GUID);
    guids.extend([0, 0]);
    assert_eq!(data, guids);
}

#[test]
fn landing_page_answers_only_get_url() {
    let get_url = Request {
        direction: Direction::In,
        request_type: RequestType::Vendor,
        recipient: Recipient::Device,
        request: webusb::VENDOR_CODE,
        value: u16::from(LANDING_PAGE_INDEX),
        index: webusb::GET_URL,
        length: 255,
    };
    let mut buf = [0u8; 8];
    match LandingPage.control_in(get_url, &mut buf) {
        Some(InResponse::Accepted(bytes)) => assert_eq!(bytes, LANDING.as_bytes()),
        _ => panic!("GET_URL not answered"),
    }
    let msos = Request { request: MSOS_VENDOR_CODE, index: 7, ..get_url };
    assert!(LandingPage.control_in(msos, &mut buf).is_none());
}
