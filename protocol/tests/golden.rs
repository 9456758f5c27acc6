//! The wire encodings, pinned: one sample of every type (and every core preset as a `Config`) encoded and compared
//! with `golden/encodings.txt`. A change fails until `SCHEMA_VERSION` is bumped and the file rewritten with
//! `STAPES_BLESS=1 cargo test -p stapes-protocol --test golden`; blessing refuses changed encodings under an
//! unchanged version.

use std::fmt::Write;

use serde::Serialize;
use stapes_core::config::Scalars;
use stapes_protocol::*;

fn hex(value: &impl Serialize) -> String {
    let bytes = postcard::to_allocvec(value).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn encodings() -> String {
    let mut out = String::new();
    let mut line = |name: &str, value: String| writeln!(out, "{name} {value}").unwrap();
    for name in stapes_core::preset::NAMES {
        line(&format!("config:{name}"), hex(&stapes_core::preset(name).unwrap()));
    }
    let mut config = stapes_core::preset("kaldi-mfcc").unwrap();
    config.scalars = Scalars::ALL;
    let settings = NodeSettings {
        config,
        gain: 2.5,
        streams: Streams { features: true, scalars: false, audio: true, health: false },
        health_interval_ms: 1500,
    };
    line("node_settings", hex(&settings));
    let info = Info {
        firmware_version: "1.2.3",
        git_hash: "abcdef0",
        build_date: "2026-11-25",
        board: "pico2",
        serial: 0x0102_0304_0506_0708,
        core_version: "0.1.0",
        protocol_hash: 0xdead_beef,
        preset: Some("yamnet"),
        preset_streaming: true,
        config_hash: 0x1234_5678,
        uptime_us: 123_456_789,
        settings_origin: SettingsOrigin::ResetUnknownVersion,
        pipeline_capacity: 16_384,
        streaming: true,
    };
    line("info", hex(&info));
    line("applied", hex(&Applied { config_hash: 7, stream_stopped: true }));
    line("reboot:normal", hex(&RebootMode::Normal));
    line("reboot:bootloader", hex(&RebootMode::Bootloader));
    let values = [1.0f32, -0.5, 3.25e-3];
    let frame = FeatureFrame { index: 300, timestamp_us: 3_000_000, features: values[..].into() };
    line("feature_frame", hex(&frame));
    line("scalar_frame", hex(&ScalarFrame { index: 1, timestamp_us: 2, values: values[..2].into() }));
    let samples = [0i16, -1, 32767, -32768];
    line("audio_block", hex(&AudioBlock { first_sample: 16_000, samples: samples[..].into() }));
    let health = Health {
        uptime_us: 1,
        frames: 2,
        dropped_messages: 3,
        queue_fill: 4,
        queue_capacity: 5,
        frame_cycles_last: 6,
        frame_cycles_max: 7,
        usb_errors: 8,
        overruns: 9,
        bad_blocks: 10,
    };
    line("health", hex(&health));
    for (name, e) in [
        ("malformed", WireError::Malformed),
        ("oversized", WireError::Oversized { len: 600, max: 512 }),
        ("unknown_key", WireError::UnknownKey(0xabcd)),
        ("invalid", WireError::Invalid { field: "config.frames.n_fft", message: "no" }),
        ("storage", WireError::Storage("flash")),
    ] {
        line(&format!("error:{name}"), hex(&e));
    }
    out
}

#[test]
fn encodings_match_the_golden_file_for_this_schema_version() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/encodings.txt");
    let version_line = format!("schema_version {SCHEMA_VERSION}\n");
    let now = version_line.clone() + &encodings();
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    if stored == now {
        return;
    }
    let same_version = stored.starts_with(&version_line);
    if std::env::var_os("STAPES_BLESS").is_some() {
        assert!(!same_version, "encodings changed under schema version {SCHEMA_VERSION}: bump SCHEMA_VERSION first");
        std::fs::write(path, now).unwrap();
        return;
    }
    let diff: Vec<_> = stored.lines().zip(now.lines()).filter(|(a, b)| a != b).take(5).collect();
    panic!(
        "the wire encoding differs from {path} ({diff:?}): bump SCHEMA_VERSION and rerun with STAPES_BLESS=1 \
         (hosts and nodes of different schema versions must not talk)"
    );
}

#[test]
fn keys_are_distinct_and_the_error_key_is_none_of_them() {
    let mut keys: Vec<u32> = ENDPOINTS.iter().chain(TOPICS).map(|(_, k)| k.0).collect();
    keys.push(ERROR_KEY.0);
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert_eq!(ENDPOINTS.len(), 8);
    assert_eq!(TOPICS.len(), 4);
}

#[test]
fn a_key_changes_with_path_types_and_schema() {
    let k = Key::derive("settings/set", "NodeSettings", "Applied");
    assert_eq!(k, SettingsSet::KEY);
    assert_ne!(k, Key::derive("settings/sett", "NodeSettings", "Applied"));
    assert_ne!(k, Key::derive("settings/set", "NodeSettings2", "Applied"));
    assert_ne!(k, Key::derive("settings/set", "NodeSettings", ""));
    assert_ne!(Key::derive("ab", "c", ""), Key::derive("a", "bc", ""));
}

#[test]
fn frames_round_trip_and_trailing_bytes_are_refused() {
    let values = [0.25f32, f32::MIN_POSITIVE];
    let mut buf = [0u8; 64];
    let msg = FeatureFrame { index: 9, timestamp_us: 90_000, features: values[..].into() };
    let len = encode_topic::<FeaturesTopic>(41, &msg, &mut buf).unwrap();
    let (header, body) = Header::split(&buf[..len]).unwrap();
    assert_eq!(header, Header { key: FeaturesTopic::KEY, seq: 41 });
    assert_eq!(decode_body::<FeatureFrame<'_>>(body).unwrap(), msg);
    assert_eq!(decode_body::<FeatureFrame<'_>>(&buf[HEADER_LEN..len + 1]), Err(FrameError::Body));
    assert_eq!(Header::split(&buf[..7]), Err(FrameError::Short));
    assert_eq!(encode_topic::<FeaturesTopic>(41, &msg, &mut buf[..len - 1]), Err(FrameError::BufferFull));
    assert!(len <= feature_frame_len(values.len()));
}

#[test]
fn zero_length_packets_end_transfers_that_fill_their_last_packet() {
    assert_eq!(
        [needs_zlp(0), needs_zlp(63), needs_zlp(64), needs_zlp(65), needs_zlp(128)],
        [false, false, true, false, true]
    );
    assert!(!needs_zlp(MAX_MESSAGE_LEN), "a full-length transfer ends by its length");
}

#[test]
fn config_hash_follows_the_config() {
    let a = stapes_core::preset("yamnet").unwrap();
    let mut b = a.clone();
    assert_eq!(config_hash(&a), config_hash(&b));
    b.mel.as_mut().unwrap().n_mels = 63;
    assert_ne!(config_hash(&a), config_hash(&b));
}
