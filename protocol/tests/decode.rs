//! A host decodes whatever a device sends without panicking: any bytes as any message type give a value or an
//! error, and what decodes re-encodes to bytes that decode to the same encoding again.

use proptest::prelude::*;
use stapes_protocol::*;

/// Decodes `bytes` as `$t`; if that works, re-encoding, decoding and encoding again gives the same bytes.
macro_rules! round_trip {
    ($t:ty, $bytes:expr) => {
        if let Ok(value) = decode_body::<$t>($bytes) {
            let once = postcard::to_allocvec(&value).unwrap();
            let twice = postcard::to_allocvec(&decode_body::<$t>(&once).unwrap()).unwrap();
            assert_eq!(once, twice);
        }
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Header::split(&bytes);
        round_trip!(Info<'_>, &bytes);
        round_trip!(NodeSettings, &bytes);
        round_trip!(Applied, &bytes);
        round_trip!(RebootMode, &bytes);
        round_trip!(FeatureFrame<'_>, &bytes);
        round_trip!(ScalarFrame<'_>, &bytes);
        round_trip!(AudioBlock<'_>, &bytes);
        round_trip!(Health, &bytes);
        round_trip!(WireError<'_>, &bytes);
    }

    #[test]
    fn feature_frames_round_trip(index in any::<u64>(), t in any::<u64>(), values in proptest::collection::vec(any::<f32>(), 0..300)) {
        let frame = FeatureFrame { index, timestamp_us: t, features: values[..].into() };
        let mut buf = vec![0u8; MAX_MESSAGE_LEN];
        let len = encode_topic::<FeaturesTopic>(1, &frame, &mut buf).unwrap();
        prop_assert!(len <= feature_frame_len(values.len()));
        let back: FeatureFrame<'_> = decode_body(&buf[HEADER_LEN..len]).unwrap();
        prop_assert_eq!((back.index, back.timestamp_us), (index, t));
        let bits: Vec<u32> = back.features.iter().map(f32::to_bits).collect();
        prop_assert_eq!(bits, values.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }
}
