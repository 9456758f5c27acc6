//! The framing as packets on a full-speed bus, both directions: every request length a host can write reaches the
//! node's reader whole and alone, and every message the node sends ends a host's read exactly where it ends.

use stapes_protocol::{
    MAX_MESSAGE_LEN, MAX_REQUEST_LEN, TransferEnd, TransferReader, USB_PACKET_LEN, message_packets, needs_zlp,
    request_needs_zlp, request_transfers,
};

/// What a host controller puts on the bus for one OUT transfer: its bytes in packets of [`USB_PACKET_LEN`], and an
/// empty transfer as one zero-length packet. It adds no zero-length packet of its own (see `request_needs_zlp`).
fn bus_packets(transfer: &[u8]) -> Vec<&[u8]> {
    if transfer.is_empty() { vec![transfer] } else { transfer.chunks(USB_PACKET_LEN).collect() }
}

/// A request of `len` bytes, each byte telling its position and which request it belongs to.
fn request(len: usize, tag: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31) ^ tag).collect()
}

/// Feeds `packets` to a node's reader with the firmware's request buffer; every transfer end it saw, with the bytes.
fn node_reads<'a>(packets: impl IntoIterator<Item = &'a [u8]>) -> Vec<(TransferEnd, Vec<u8>)> {
    let mut buf = [0u8; MAX_REQUEST_LEN + 1];
    let mut reader = TransferReader::new();
    let mut ends = Vec::new();
    for packet in packets {
        if let Some(end) = reader.push(&mut buf, packet) {
            let (TransferEnd::Message(n) | TransferEnd::TooLong(n)) = end;
            ends.push((end, buf[..n].to_vec()));
        }
    }
    ends
}

#[test]
fn every_request_length_reaches_the_node_whole_and_alone() {
    for len in 1..=MAX_MESSAGE_LEN + USB_PACKET_LEN {
        let (first, second) = (request(len, 0x5a), request(9, 0xa5));
        let transfers: Vec<&[u8]> = request_transfers(&first).chain(request_transfers(&second)).collect();
        let sent: Vec<u8> = transfers.concat();
        assert_eq!(sent, [&first[..], &second[..]].concat(), "{len}: the transfers carry exactly the requests");
        let ends = node_reads(transfers.iter().flat_map(|t| bus_packets(t)));
        let kept = len.min(MAX_REQUEST_LEN + 1);
        let first_end = if len > MAX_REQUEST_LEN + 1 { TransferEnd::TooLong(kept) } else { TransferEnd::Message(len) };
        assert_eq!(ends.len(), 2, "{len}: the node saw {} requests, not 2", ends.len());
        assert_eq!(ends[0], (first_end, first[..kept].to_vec()), "{len}: the first request");
        assert_eq!(ends[1], (TransferEnd::Message(9), second), "{len}: the request after it");
    }
}

#[test]
fn without_the_zero_length_packet_a_full_last_packet_glues_the_next_request_on() {
    // The bug this framing exists for: a 128-byte request written as one transfer leaves the node waiting, and the
    // next request becomes the rest of it.
    let (first, second) = (request(128, 1), request(20, 2));
    let ends = node_reads(bus_packets(&first).into_iter().chain(bus_packets(&second)));
    assert_eq!(ends, [(TransferEnd::Message(148), [first, second].concat())]);
    assert!(request_needs_zlp(128) && request_needs_zlp(MAX_MESSAGE_LEN), "the node ends requests only when short");
    assert!(!request_needs_zlp(0) && !request_needs_zlp(127) && !request_needs_zlp(129));
}

#[test]
fn an_empty_request_is_one_zero_length_packet() {
    let transfers: Vec<&[u8]> = request_transfers(&[]).collect();
    assert_eq!(transfers, [&[0u8; 0][..]]);
    assert_eq!(node_reads(bus_packets(transfers[0])), [(TransferEnd::Message(0), Vec::<u8>::new())]);
}

/// What a host's `transferIn(ep, MAX_MESSAGE_LEN)` returns for a stream of IN packets: packets gathered until a
/// short one, or until the buffer is full.
fn host_reads<'a>(packets: impl IntoIterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let (mut transfers, mut current) = (Vec::new(), Vec::new());
    for packet in packets {
        assert!(packet.len() <= USB_PACKET_LEN && current.len() + packet.len() <= MAX_MESSAGE_LEN);
        current.extend_from_slice(packet);
        if packet.len() < USB_PACKET_LEN || current.len() == MAX_MESSAGE_LEN {
            transfers.push(std::mem::take(&mut current));
        }
    }
    assert!(current.is_empty(), "a transfer of {} bytes never ended", current.len());
    transfers
}

#[test]
fn every_message_length_ends_the_hosts_read_where_it_ends() {
    for len in 1..=MAX_MESSAGE_LEN {
        let (first, second) = (request(len, 3), request(70, 4));
        let packets: Vec<&[u8]> = message_packets(&first).chain(message_packets(&second)).collect();
        assert!(packets.iter().all(|p| p.len() <= USB_PACKET_LEN));
        let zlps = packets.iter().filter(|p| p.is_empty()).count();
        assert_eq!(zlps, usize::from(needs_zlp(len)), "{len}: zero-length packets");
        assert_eq!(host_reads(packets), [first, second], "{len}");
    }
}

#[test]
fn an_oversized_request_is_cut_and_the_next_one_starts_in_step() {
    let mut buf = [0u8; 16];
    let mut reader = TransferReader::new();
    let long = request(100, 7);
    let ends: Vec<_> = long.chunks(USB_PACKET_LEN).filter_map(|p| reader.push(&mut buf, p)).collect();
    assert_eq!((ends, &buf[..]), (vec![TransferEnd::TooLong(16)], &long[..16]));
    assert!(reader.is_empty());
    assert_eq!(reader.push(&mut buf, &[9, 8, 7]), Some(TransferEnd::Message(3)));
    assert_eq!(&buf[..3], [9, 8, 7]);
    // A packet longer than the endpoint's (the hardware never delivers one) is taken as full, without a panic.
    assert_eq!(reader.push(&mut buf, &[0; 100]), None);
    assert_eq!(reader.push(&mut buf, &[]), Some(TransferEnd::TooLong(16)));
}
