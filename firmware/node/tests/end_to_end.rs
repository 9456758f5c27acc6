//! The node driven end to end through the real protocol encoding, as the dashboard and the firmware drive it.

mod common;

use common::*;
use stapes_core::config::{Normalize, Scalars};
use stapes_core::{Pipeline, preset};
use stapes_node::protocol::{
    Applied, FeatureFrame, FeaturesTopic, Health, HealthTopic, InfoEp, NodeSettings, PROTOCOL_HASH, RebootMode,
    ScalarFrame, ScalarsTopic, SettingsGet, SettingsOrigin, SettingsSet, SettingsValidate, StreamStart, StreamStop,
    SystemReboot, WireError, config_hash, decode_body,
};
use stapes_node::{Action, Memory, Node, settings};

/// The core's streaming output for `x` fed in `chunks`: (index, features bits, scalars bits) per frame.
fn reference(config: &stapes_core::Config, x: &[f32], chunks: &[usize]) -> Vec<(u64, Vec<u32>, Vec<u32>)> {
    let mut p = Pipeline::new_owned(config).unwrap();
    let mut out = vec![];
    let mut emit = |f: stapes_core::Frame<'_>| {
        out.push((f.index, bits(f.features.iter().copied()), bits(f.scalars.iter().copied())));
    };
    let mut rest = x;
    for &c in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(c.min(rest.len()));
        p.push(chunk, &mut emit).unwrap();
        rest = tail;
    }
    p.flush(&mut emit);
    out
}

fn bits(v: impl Iterator<Item = f32>) -> Vec<u32> {
    v.map(f32::to_bits).collect()
}

#[test]
fn connect_configure_stream_ten_seconds_stop_and_reboot() {
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    clock.0.set(5_000_000);
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));

    // Connect: info and the defaults.
    clock.0.set(5_250_000);
    ok::<InfoEp>(&mut node, &(), |info| {
        assert_eq!(info.protocol_hash, PROTOCOL_HASH);
        assert_eq!((info.board, info.serial, info.git_hash), ("host-test", IDENTITY.serial, "0123456789abcdef"));
        assert_eq!(info.settings_origin, SettingsOrigin::Defaults);
        assert_eq!((info.preset, info.preset_streaming), (Some("yamnet"), false));
        assert_eq!(info.uptime_us, 250_000);
        assert_eq!(info.config_hash, config_hash(&preset("yamnet").unwrap()));
        assert!(!info.streaming);
    });
    let defaults = settings::defaults();
    ok::<SettingsGet>(&mut node, &(), |s| assert_eq!(s, defaults));

    // An invalid config is refused with the core's field and message, and changes nothing.
    let mut bad = defaults.clone();
    bad.config.frames.n_fft = 510;
    let (msg, _) = call::<SettingsSet>(&mut node, 11, &bad);
    match answer::<SettingsSet>(&msg, 11) {
        Err(WireError::Invalid { field, message }) => {
            assert_eq!(field, "config.frames.n_fft");
            assert_eq!(message, bad.config.validate().unwrap_err().to_string());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let mut whisper = defaults.clone();
    whisper.config = preset("whisper-80").unwrap();
    let (msg, _) = call::<SettingsValidate>(&mut node, 12, &whisper);
    assert!(matches!(answer::<SettingsValidate>(&msg, 12), Err(WireError::Invalid { field: "config.normalize", .. })));
    ok::<SettingsGet>(&mut node, &(), |s| assert_eq!(s, defaults));

    // A valid one: Kaldi filterbank with four scalars, features + scalars + health.
    let mut config = preset("kaldi-fbank").unwrap();
    config.scalars = Scalars { rms: true, zcr: true, centroid: true, flux: true, ..Scalars::default() };
    let new = NodeSettings {
        config: config.clone(),
        gain: 1.0,
        streams: stapes_node::protocol::Streams { features: true, scalars: true, audio: false, health: true },
        health_interval_ms: 1000,
    };
    ok::<SettingsValidate>(&mut node, &new, |()| {});
    ok::<SettingsSet>(&mut node, &new, |a| {
        assert_eq!(a, Applied { config_hash: config_hash(&config), stream_stopped: false })
    });
    ok::<SettingsGet>(&mut node, &(), |s| assert_eq!(s, new));
    ok::<InfoEp>(&mut node, &(), |info| {
        assert_eq!((info.preset, info.settings_origin), (None, SettingsOrigin::Stored));
    });

    // Stream 10 s in odd-sized blocks, draining like the USB task does, except for 3 s where the host stalls and
    // the queue overflows.
    clock.0.set(6_000_000);
    ok::<StreamStart>(&mut node, &(), |()| {});
    let x = signal(160_000, 16_000.0);
    let chunks = [1usize, 97, 160, 333, 1024, 7, 511];
    let mut messages = vec![];
    let mut rest = &x[..];
    for (i, &c) in chunks.iter().cycle().enumerate() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(c.min(rest.len()));
        node.push_audio(chunk);
        rest = tail;
        let stalled = (48_000..96_000).contains(&(x.len() - rest.len()));
        if !stalled || i % 1000 == 0 {
            messages.extend(drain(&mut node));
        }
    }
    ok::<StreamStop>(&mut node, &(), |()| {});
    messages.extend(drain(&mut node));

    let want = reference(&config, &x, &chunks);
    assert_eq!(want.len(), 998, "kaldi framing: 1 + (160000 - 400) / 160 frames");
    let frames = of_topic::<FeaturesTopic>(&messages);
    let scalars = of_topic::<ScalarsTopic>(&messages);
    // Drops are the gaps in the sequence numbers; what arrived is bit for bit the core's output.
    let last_seq = frames.last().unwrap().0;
    let gaps = last_seq as usize + 1 - frames.len();
    assert!(gaps > 0, "the stalled host must have caused drops");
    assert_eq!(last_seq as usize + 1, want.len(), "every frame got a sequence number");
    for (seq, body) in &frames {
        let f: FeatureFrame<'_> = decode_body(body).unwrap();
        let (index, features, _) = &want[f.index as usize];
        assert_eq!((*seq as u64, f.index), (*index, *index));
        assert_eq!(&bits(f.features.iter()), features, "frame {index}");
        assert_eq!(f.timestamp_us, 6_000_000 + f.index * 10_000);
    }
    for (_, body) in &scalars {
        let s: ScalarFrame<'_> = decode_body(body).unwrap();
        assert_eq!(bits(s.values.iter()), want[s.index as usize].2);
        assert_eq!(s.values.len(), 4);
    }
    let health = of_topic::<HealthTopic>(&messages);
    let last: Health = decode_body(health.last().unwrap().1).unwrap();
    assert_eq!((last.frames, health.last().unwrap().0), (998, 9), "one health message per second of audio");
    let drops_frames_and_scalars = (gaps + (want.len() - scalars.len())) as u32;
    let seqs: Vec<u32> = health.iter().map(|h| h.0).collect();
    let health_gaps = (*seqs.last().unwrap() as usize + 1 - seqs.len()) as u32;
    let final_health = node.health();
    assert_eq!(final_health.dropped_messages, drops_frames_and_scalars + health_gaps);
    assert_eq!(final_health.frames, 998);

    // Reboot into the bootloader: the response goes out first, then the firmware acts.
    let (msg, reply) = call::<SystemReboot>(&mut node, 99, &RebootMode::Bootloader);
    answer::<SystemReboot>(&msg, 99).unwrap();
    assert_eq!(reply.action, Some(Action::Reboot(RebootMode::Bootloader)));

    // After the reboot the node runs the stored settings.
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    ok::<SettingsGet>(&mut node, &(), |s| assert_eq!(s, new));
    ok::<InfoEp>(&mut node, &(), |info| assert_eq!(info.settings_origin, SettingsOrigin::Stored));
}

#[test]
fn a_refused_set_writes_no_flash() {
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    ok::<SettingsSet>(&mut node, &settings::defaults(), |_| {});
    let before = flash.bytes().to_vec();
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    let mut bad = settings::defaults();
    bad.gain = f32::NAN;
    let (msg, _) = call::<SettingsSet>(&mut node, 3, &bad);
    assert!(matches!(answer::<SettingsSet>(&msg, 3), Err(WireError::Invalid { field: "gain", .. })));
    bad.gain = 1.0;
    bad.config.mel.as_mut().unwrap().fmax = 9000.0;
    let (msg, _) = call::<SettingsSet>(&mut node, 4, &bad);
    assert!(matches!(answer::<SettingsSet>(&msg, 4), Err(WireError::Invalid { field: "config.mel.fmax", .. })));
    // Setting what is already stored is not rewritten either.
    ok::<SettingsSet>(&mut node, &settings::defaults(), |_| {});
    assert!(flash.bytes() == &before[..], "flash changed");
}

#[test]
fn settings_set_while_streaming_stops_the_stream() {
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    ok::<StreamStart>(&mut node, &(), |()| {});
    node.push_audio(&signal(1600, 16_000.0));
    assert!(node.is_streaming());
    let mut s = settings::defaults();
    s.health_interval_ms = 0;
    let (msg, _) = call::<SettingsSet>(&mut node, 2, &s);
    assert!(answer::<SettingsSet>(&msg, 2).is_err());
    assert!(node.is_streaming(), "a refused set leaves the stream alone");
    s.health_interval_ms = 1000;
    s.config = preset("vggish").unwrap();
    ok::<SettingsSet>(&mut node, &s, |a| assert!(a.stream_stopped));
    assert!(!node.is_streaming());
    assert_eq!(node.push_audio(&signal(1600, 16_000.0)), 0, "no stream, no frames");
    assert!(!node.stop_stream(), "nothing to stop");
    ok::<StreamStart>(&mut node, &(), |()| {});
    assert!(node.stop_stream() && !node.is_streaming(), "a running stream stops");
    let mut streamable = preset("whisper-80").unwrap();
    streamable.normalize = Normalize::None;
    s.config = streamable;
    ok::<SettingsSet>(&mut node, &s, |a| assert!(!a.stream_stopped));
    ok::<InfoEp>(&mut node, &(), |i| assert_eq!((i.preset, i.preset_streaming), (Some("whisper-80"), true)));
}

/// With raw audio on, the 16-bit samples the node sends are exactly what its pipeline ran on: a host recomputing
/// the features from them gets the same bits (the dashboard's parity view).
#[test]
fn raw_audio_reproduces_the_features_bit_for_bit() {
    use stapes_node::protocol::{AudioBlock, AudioTopic, Streams};
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    let s = NodeSettings {
        streams: Streams { features: true, scalars: false, audio: true, health: false },
        ..settings::defaults()
    };
    ok::<SettingsSet>(&mut node, &s, |_| {});
    ok::<StreamStart>(&mut node, &(), |()| {});
    let x = signal(40_000, 16_000.0);
    let mut messages = vec![];
    for chunk in x.chunks(2500) {
        node.push_audio(chunk);
        messages.extend(drain(&mut node));
    }
    ok::<StreamStop>(&mut node, &(), |()| {});
    messages.extend(drain(&mut node));

    let mut audio = vec![];
    for (i, (seq, body)) in of_topic::<AudioTopic>(&messages).into_iter().enumerate() {
        let block: AudioBlock<'_> = decode_body(body).unwrap();
        assert_eq!((block.first_sample, seq as usize), (audio.len() as u64, i));
        assert!(block.samples.len() <= stapes_node::protocol::MAX_AUDIO_SAMPLES);
        audio.extend(block.samples.iter().map(|q| f32::from(q) / 32768.0));
    }
    assert_eq!(audio.len(), x.len());
    assert!(audio.iter().zip(&x).all(|(a, b)| (a - b).abs() <= 0.5 / 32768.0 + 1e-7));
    let want = reference(&s.config, &audio, &[audio.len()]);
    let got: Vec<Vec<u32>> = of_topic::<FeaturesTopic>(&messages)
        .iter()
        .map(|(_, body)| bits(decode_body::<FeatureFrame<'_>>(body).unwrap().features.iter()))
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(g, w)| *g == w.1));
}

/// `info` fits a response whatever the firmware puts in its identity: long strings are cut at a char boundary.
#[test]
fn info_fits_a_response_even_with_long_identity_strings() {
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let long: &'static str = "é".repeat(300).leak();
    let identity = stapes_node::Identity {
        firmware_version: long,
        git_hash: long,
        build_date: long,
        board: long,
        serial: u64::MAX,
    };
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, identity));
    let (msg, _) = call::<InfoEp>(&mut node, u32::MAX, &());
    assert!(msg.len() <= stapes_node::protocol::MAX_RESPONSE_LEN);
    let info = answer::<InfoEp>(&msg, u32::MAX).unwrap();
    assert_eq!((info.board, info.git_hash.len()), ("é".repeat(32).as_str(), 64));
}

/// The standard error answers, and what the node does around them.
#[test]
fn malformed_oversized_unknown_and_bad_audio() {
    use stapes_node::protocol::{ERROR_KEY, Header, MAX_REQUEST_LEN, SettingsReset};
    let mut memory = Box::new(Memory::new());
    let mut flash = Flash::new();
    let clock = TestClock::default();
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    let error = |msg: &[u8]| {
        let (h, body) = Header::split(msg).unwrap();
        assert_eq!(h.key, ERROR_KEY);
        (h.seq, decode_body::<WireError<'_>>(body).unwrap().to_string())
    };
    assert_eq!(error(&raw(&mut node, &[1, 2, 3]).0), (0, "malformed request".into()));
    let mut unknown = 0xfeed_beefu32.to_le_bytes().to_vec();
    unknown.extend(9u32.to_le_bytes());
    assert_eq!(error(&raw(&mut node, &unknown).0), (9, "unknown message key 0xfeedbeef".into()));
    let mut long = vec![0u8; MAX_REQUEST_LEN + 1];
    long[4] = 3;
    assert_eq!(error(&raw(&mut node, &long).0), (3, "request of 513 bytes is over the 512-byte limit".into()));
    // A body with a trailing byte is not the endpoint's type.
    let mut req = [0u8; 16];
    let n = stapes_node::protocol::encode_request::<InfoEp>(4, &(), &mut req).unwrap();
    assert_eq!(error(&raw(&mut node, &req[..n + 1]).0), (4, "malformed request".into()));

    // Audio with a NaN is dropped whole and counted; the stream goes on.
    ok::<StreamStart>(&mut node, &(), |()| {});
    let mut x = signal(1600, 16_000.0);
    x[700] = f32::NAN;
    assert_eq!(node.push_audio(&x), 0);
    assert_eq!(node.health().bad_blocks, 1);
    assert_eq!(node.push_audio(&signal(1600, 16_000.0)), 8);

    // Reset: defaults, persisted (stopping the stream), and the reason is now "stored".
    let mut s = settings::defaults();
    s.gain = 8.0;
    ok::<SettingsSet>(&mut node, &s, |a| assert!(a.stream_stopped));
    ok::<SettingsReset>(&mut node, &(), |a| {
        assert_eq!(a, Applied { config_hash: config_hash(&settings::defaults().config), stream_stopped: false })
    });
    let mut node = embassy_futures::block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
    ok::<SettingsGet>(&mut node, &(), |got| assert_eq!(got, settings::defaults()));
    ok::<InfoEp>(&mut node, &(), |i| assert_eq!(i.settings_origin, SettingsOrigin::Stored));
}
