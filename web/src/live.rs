//! The live stream as the page keeps it: topic messages decoded, drops counted from sequence numbers, a bounded
//! history of frames for the spectrogram and the recorder, the audio level, and rates for the counters.

use std::collections::VecDeque;

use stapes_protocol::{
    AudioBlock, AudioTopic, FeatureFrame, FeaturesTopic, Header, Health, HealthTopic, ScalarFrame, ScalarsTopic, Topic,
    decode_body,
};

use crate::sequence::Sequence;

/// What a topic message was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A feature frame (stored in the history).
    Features,
    /// Scalars of a frame.
    Scalars,
    /// Raw audio.
    Audio,
    /// Node health.
    Health,
}

/// Audio level in dBFS over the latest audio block (or the latest `rms` scalar).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Level {
    /// RMS in dBFS.
    pub rms_db: f32,
    /// Peak in dBFS (`None` when only the rms scalar is known).
    pub peak_db: Option<f32>,
}

/// The page's view of one stream.
pub struct Live {
    /// Frames kept (the spectrogram's history length).
    pub capacity: usize,
    /// Newest last; each `n_features` long.
    pub frames: VecDeque<Vec<f32>>,
    /// Feature frames: received and dropped.
    pub features: Sequence,
    /// Scalar frames.
    pub scalars: Sequence,
    /// Audio blocks.
    pub audio: Sequence,
    /// Latest health.
    pub health: Option<Health>,
    /// Latest level.
    pub level: Option<Level>,
    /// Scalar frames, newest last (as many as `frames`).
    pub scalars_history: VecDeque<Vec<f32>>,
    /// The recording in progress (or finished, until the page takes it).
    pub take: Option<Take>,
    /// Feature frames received since the history was last drawn (the renderer takes them).
    pub undrawn: usize,
    /// Frames the renderer has drawn.
    pub rendered: u64,
    /// Feature frames stored since the page opened: the cursor counts back from the newest frame drawn, not the
    /// newest stored, as frames arrive between two draws.
    pub pushed: u64,
    /// Paused view: frames still count and record, but the ring stands still so the cursor reads what is drawn.
    pub frozen: bool,
    /// Whether the node has answered this page's `stream/start`. Until then stream messages are another
    /// subscription's (a node streaming since another tab or before a reload: closing a tab does not stop it),
    /// possibly starting with the tail of a cut message, and are ignored: counted, their numbers would make the new
    /// stream's frames 0, 1, 2… look late and its gaps dropped.
    pub subscribed: bool,
}

impl Live {
    /// An empty stream keeping `capacity` frames.
    pub fn new(capacity: usize) -> Live {
        Live {
            capacity,
            frames: VecDeque::with_capacity(capacity),
            features: Sequence::default(),
            scalars: Sequence::default(),
            audio: Sequence::default(),
            health: None,
            level: None,
            scalars_history: VecDeque::with_capacity(capacity),
            take: None,
            undrawn: 0,
            rendered: 0,
            pushed: 0,
            frozen: false,
            subscribed: false,
        }
    }

    /// Keeps `capacity` frames (and scalar frames) from now on, dropping the oldest beyond it: the history length.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        let excess = self.frames.len().saturating_sub(self.capacity);
        self.frames.drain(..excess);
        let excess = self.scalars_history.len().saturating_sub(self.capacity);
        self.scalars_history.drain(..excess);
        self.undrawn = self.undrawn.min(self.capacity);
    }

    /// Pauses or resumes the ring. Resuming empties it: the frames missed while paused would otherwise leave a
    /// gap the view cannot show, and the cursor's times would be wrong across it.
    pub fn set_frozen(&mut self, frozen: bool) {
        if self.frozen && !frozen {
            self.frames.clear();
            self.scalars_history.clear();
            self.undrawn = 0;
        }
        self.frozen = frozen;
    }

    /// A new subscription is asked for (`stream/start` is about to be sent): stream messages are ignored until the
    /// node's answer, [`Live::started`]. The history stays.
    pub fn restart(&mut self) {
        self.subscribed = false;
    }

    /// The node answered `stream/start`: the messages after the answer are the new subscription's, numbered from 0.
    /// Call it when the answer is read, before the next message, so nothing of either stream is misfiled.
    pub fn started(&mut self) {
        self.features.restart();
        self.scalars.restart();
        self.audio.restart();
        self.subscribed = true;
    }

    /// Decodes one topic message; `rms_index` is the position of `rms` among the scalars, if selected. Responses
    /// are not topic messages: `Ok(None)`; nor is anything before [`Live::started`].
    pub fn on_message(&mut self, message: &[u8], rms_index: Option<usize>) -> Result<Option<Kind>, String> {
        if !self.subscribed {
            return Ok(None);
        }
        let (header, body) = Header::split(message).map_err(|e| e.to_string())?;
        let bad = |what: &str| format!("undecodable {what} message");
        let kind = match header.key {
            k if k == FeaturesTopic::KEY => {
                let frame: FeatureFrame<'_> = decode_body(body).map_err(|_| bad("features"))?;
                self.features.see(header.seq);
                let values = frame.features.to_vec();
                if let Some(take) = self.take.as_mut() {
                    take.add_frame(frame.index, &values);
                }
                if !self.frozen {
                    if self.frames.len() >= self.capacity {
                        self.frames.pop_front();
                    }
                    self.frames.push_back(values);
                    self.pushed += 1;
                    self.undrawn = (self.undrawn + 1).min(self.capacity);
                }
                Kind::Features
            }
            k if k == ScalarsTopic::KEY => {
                let frame: ScalarFrame<'_> = decode_body(body).map_err(|_| bad("scalars"))?;
                self.scalars.see(header.seq);
                let values = frame.values.to_vec();
                if let Some(&rms) = rms_index.and_then(|i| values.get(i)) {
                    let peak = self.level.and_then(|l| l.peak_db);
                    self.level = Some(Level { rms_db: db(rms), peak_db: peak });
                }
                if !self.frozen {
                    if self.scalars_history.len() >= self.capacity {
                        self.scalars_history.pop_front();
                    }
                    self.scalars_history.push_back(values);
                }
                Kind::Scalars
            }
            k if k == AudioTopic::KEY => {
                let block: AudioBlock<'_> = decode_body(body).map_err(|_| bad("audio"))?;
                self.audio.see(header.seq);
                let samples: Vec<f32> = block.samples.iter().map(|s| f32::from(s) * (1.0 / 32768.0)).collect();
                if let Some(take) = self.take.as_mut() {
                    take.add_audio(block.first_sample, &samples);
                }
                self.level = level(&samples).or(self.level);
                Kind::Audio
            }
            k if k == HealthTopic::KEY => {
                self.health = Some(decode_body(body).map_err(|_| bad("health"))?);
                Kind::Health
            }
            _ => return Ok(None),
        };
        Ok(Some(kind))
    }
}

/// A recording: the next `want` feature frames of the stream, and the raw audio (`sample / 32768`) that came
/// with them when the node streams audio.
#[derive(Clone, Debug, PartialEq)]
pub struct Take {
    /// Values per frame.
    pub n_features: usize,
    /// Frames wanted.
    pub want: usize,
    /// Frame-major features.
    pub features: Vec<f32>,
    /// Stream index of the first recorded frame.
    pub first_index: Option<u64>,
    /// Raw audio from the first block after the recording started.
    pub samples: Vec<f32>,
    /// Stream sample number of `samples[0]`.
    pub first_sample: Option<u64>,
    /// Frames whose length was not `n_features` (the config changed under the recording).
    pub misfits: usize,
}

impl Take {
    /// A recording of `want` frames of `n_features` values.
    pub fn new(n_features: usize, want: usize) -> Take {
        Take {
            n_features,
            want,
            features: Vec::with_capacity(n_features * want),
            first_index: None,
            samples: Vec::new(),
            first_sample: None,
            misfits: 0,
        }
    }

    /// Frames recorded.
    pub fn frames(&self) -> usize {
        self.features.len() / self.n_features.max(1)
    }

    /// Whether `want` frames are in.
    pub fn is_done(&self) -> bool {
        self.frames() >= self.want
    }

    fn add_frame(&mut self, index: u64, values: &[f32]) {
        if self.is_done() {
            return;
        }
        if values.len() != self.n_features {
            self.misfits += 1;
            return;
        }
        self.first_index.get_or_insert(index);
        self.features.extend_from_slice(values);
    }

    fn add_audio(&mut self, first_sample: u64, samples: &[f32]) {
        if self.is_done() {
            return;
        }
        self.first_sample.get_or_insert(first_sample);
        self.samples.extend_from_slice(samples);
    }
}

/// Device vs browser: the take's frames against the core's streaming pipeline run here on the take's audio
/// (which must start at sample 0 of the stream, with the frames from index 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Parity {
    /// Frames compared.
    pub frames: usize,
    /// Frames equal bit for bit.
    pub identical: usize,
    /// Largest absolute difference over every value.
    pub max_abs_diff: f32,
}

/// Recomputes the take's frames from its audio with `config` and compares.
pub fn parity(config: &stapes_core::Config, take: &Take) -> Result<Parity, String> {
    if take.first_sample != Some(0) || take.first_index != Some(0) {
        return Err("the recording must start with the stream (sample 0, frame 0): restart the stream".to_owned());
    }
    let mut pipeline = stapes_core::Pipeline::new_owned(config).map_err(|e| e.to_string())?;
    let mut browser: Vec<f32> = Vec::new();
    pipeline.push(&take.samples, &mut |f| browser.extend_from_slice(f.features)).map_err(|e| e.to_string())?;
    let n = take.n_features.max(1);
    let frames = (browser.len() / n).min(take.frames());
    if frames == 0 {
        return Err("no frames to compare (is the audio stream on?)".to_owned());
    }
    let (mut identical, mut max_abs_diff) = (0, 0.0f32);
    for (a, b) in take.features.chunks(n).zip(browser.chunks(n)).take(frames) {
        if a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()) {
            identical += 1;
        }
        for (x, y) in a.iter().zip(b) {
            max_abs_diff = max_abs_diff.max((x - y).abs());
        }
    }
    Ok(Parity { frames, identical, max_abs_diff })
}

/// Amplitude in dBFS (−inf clamps to −120).
pub fn db(amplitude: f32) -> f32 {
    (20.0 * amplitude.abs().max(1e-6).log10()).max(-120.0)
}

/// Level of a block of samples in [-1, 1].
pub fn level(samples: &[f32]) -> Option<Level> {
    if samples.is_empty() {
        return None;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / samples.len() as f64).sqrt() as f32;
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    Some(Level { rms_db: db(rms), peak_db: Some(db(peak)) })
}

/// Events per second from a running total sampled now and then: the rate over the last second or so (the span
/// between the newest sample and the oldest one not more than a second older).
#[derive(Default)]
pub struct Rate {
    samples: VecDeque<(f64, u64)>,
}

impl Rate {
    /// Records the running `total` at `now_ms`.
    pub fn record(&mut self, now_ms: f64, total: u64) {
        self.samples.push_back((now_ms, total));
        while self.samples.len() > 2 && self.samples[1].0 <= now_ms - 1000.0 {
            self.samples.pop_front();
        }
    }

    /// Events per second over the recorded span (0 before two samples).
    pub fn per_second(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, n0)), Some(&(t1, n1))) if t1 > t0 => n1.saturating_sub(n0) as f64 * 1000.0 / (t1 - t0),
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stapes_protocol::{F32s, I16s, encode_topic};

    /// A stream whose `stream/start` was answered.
    fn subscribed(capacity: usize) -> Live {
        let mut live = Live::new(capacity);
        live.started();
        live
    }

    fn features(seq: u32, values: &[f32]) -> Vec<u8> {
        let mut out = vec![0u8; 4096];
        let msg = FeatureFrame { index: u64::from(seq), timestamp_us: 0, features: F32s::from(values) };
        let n = encode_topic::<FeaturesTopic>(seq, &msg, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn decodes_frames_counts_drops_and_bounds_history() {
        let mut live = subscribed(3);
        for seq in [0, 1, 2, 5, 6] {
            let kind = live.on_message(&features(seq, &[seq as f32, -1.0]), None).unwrap();
            assert_eq!(kind, Some(Kind::Features));
        }
        assert_eq!((live.features.received, live.features.dropped), (5, 2));
        let kept: Vec<f32> = live.frames.iter().map(|f| f[0]).collect();
        assert_eq!(kept, [2.0, 5.0, 6.0]);
        assert_eq!(live.undrawn, 3);
        live.restart();
        live.started();
        live.on_message(&features(0, &[9.0, 9.0]), None).unwrap();
        assert_eq!(live.features.dropped, 2);
    }

    #[test]
    fn another_subscriptions_messages_before_the_start_answer_are_ignored() {
        let mut live = Live::new(8);
        // A node left streaming by another tab: the tail of a cut message, then its frames 500, 501.
        let old = features(500, &[1.0, 2.0]);
        assert_eq!(live.on_message(&old[5..], None), Ok(None));
        for seq in [500, 501] {
            assert_eq!(live.on_message(&features(seq, &[1.0]), None), Ok(None));
        }
        live.started();
        for seq in [0, 1, 2] {
            assert_eq!(live.on_message(&features(seq, &[1.0]), None), Ok(Some(Kind::Features)));
        }
        let f = &live.features;
        assert_eq!((f.received, f.dropped, f.late, live.frames.len()), (3, 0, 0, 3));
        // A stop and a new start: ignored again until the answer.
        live.restart();
        assert_eq!(live.on_message(&features(3, &[1.0]), None), Ok(None));
    }

    #[test]
    fn capacity_trims_the_oldest_and_bounds_what_follows() {
        let mut live = subscribed(5);
        for seq in 0..5 {
            live.on_message(&features(seq, &[seq as f32]), None).unwrap();
        }
        live.set_capacity(2);
        let kept: Vec<f32> = live.frames.iter().map(|f| f[0]).collect();
        assert_eq!((kept, live.undrawn, live.pushed), (vec![3.0, 4.0], 2, 5));
        live.set_capacity(4);
        for seq in 5..9 {
            live.on_message(&features(seq, &[seq as f32]), None).unwrap();
        }
        let kept: Vec<f32> = live.frames.iter().map(|f| f[0]).collect();
        assert_eq!((kept, live.pushed), (vec![5.0, 6.0, 7.0, 8.0], 9));
        live.set_frozen(true);
        live.on_message(&features(9, &[9.0]), None).unwrap();
        let kept: Vec<f32> = live.frames.iter().map(|f| f[0]).collect();
        assert_eq!((kept, live.pushed, live.features.received), (vec![5.0, 6.0, 7.0, 8.0], 9, 10));
        live.set_frozen(false);
        live.on_message(&features(10, &[10.0]), None).unwrap();
        let kept: Vec<f32> = live.frames.iter().map(|f| f[0]).collect();
        assert_eq!((kept, live.pushed), (vec![10.0], 10));
        live.set_capacity(0);
        assert_eq!(live.frames.len(), 1);
    }

    #[test]
    fn audio_gives_level_and_samples() {
        let mut live = subscribed(4);
        let samples = [16384i16, -16384, 0, 0];
        let mut out = vec![0u8; 256];
        let msg = AudioBlock { first_sample: 0, samples: I16s::from(&samples[..]) };
        let n = encode_topic::<AudioTopic>(0, &msg, &mut out).unwrap();
        assert_eq!(live.on_message(&out[..n], None).unwrap(), Some(Kind::Audio));
        let level = live.level.unwrap();
        assert!((level.peak_db.unwrap() + 6.0206).abs() < 1e-3);
        assert!((level.rms_db + 9.0309).abs() < 1e-3);
    }

    #[test]
    fn garbage_is_an_error_and_responses_are_not_topics() {
        let mut live = subscribed(4);
        assert!(live.on_message(&[1, 2, 3], None).is_err());
        let mut bad = features(0, &[1.0]);
        bad.truncate(bad.len() - 1);
        assert!(live.on_message(&bad, None).is_err());
        let mut response = features(0, &[1.0]);
        response[..4].copy_from_slice(&stapes_protocol::ERROR_KEY.0.to_le_bytes());
        assert_eq!(live.on_message(&response, None).unwrap(), None);
        assert_eq!(live.features.received, 0);
    }

    #[test]
    fn take_records_and_parity_finds_identity_and_differences() {
        use stapes_protocol::{AudioBlock, I16s};
        let config = stapes_core::preset("yamnet").unwrap();
        let mut source = crate::signals::Generator::new(crate::signals::Signal::Speech, 16_000);
        let mut x = vec![0.0f32; 8000];
        source.fill(&mut x);
        let q: Vec<i16> = x.iter().map(|v| (v * 32767.0) as i16).collect();
        let heard: Vec<f32> = q.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let mut p = stapes_core::Pipeline::new_owned(&config).unwrap();
        let mut frames: Vec<Vec<f32>> = vec![];
        p.push(&heard, &mut |f| frames.push(f.features.to_vec())).unwrap();

        let mut live = subscribed(10);
        live.take = Some(Take::new(64, 20));
        let mut out = vec![0u8; 4096];
        for (i, block) in q.chunks(1000).enumerate() {
            let msg = AudioBlock { first_sample: i as u64 * 1000, samples: I16s::from(block) };
            let n = encode_topic::<AudioTopic>(i as u32, &msg, &mut out).unwrap();
            live.on_message(&out[..n], None).unwrap();
        }
        for (i, f) in frames.iter().enumerate() {
            let msg = FeatureFrame { index: i as u64, timestamp_us: 0, features: F32s::from(&f[..]) };
            let n = encode_topic::<FeaturesTopic>(i as u32, &msg, &mut out).unwrap();
            live.on_message(&out[..n], None).unwrap();
        }
        let mut take = live.take.take().unwrap();
        assert!(take.is_done());
        assert_eq!((take.frames(), take.samples.len()), (20, 8000));
        let same = parity(&config, &take).unwrap();
        assert_eq!(same, Parity { frames: 20, identical: 20, max_abs_diff: 0.0 });
        take.features[64 * 3 + 5] += 0.5;
        let differs = parity(&config, &take).unwrap();
        assert_eq!((differs.identical, differs.max_abs_diff), (19, 0.5));
        take.first_sample = Some(160);
        assert!(parity(&config, &take).is_err());
    }

    #[test]
    fn rate_over_one_second() {
        let mut rate = Rate::default();
        assert_eq!(rate.per_second(), 0.0);
        rate.record(0.0, 0);
        rate.record(500.0, 80);
        assert_eq!(rate.per_second(), 160.0);
        rate.record(1000.0, 130);
        rate.record(1500.0, 180);
        // The burst of the first half second has left the window: 100 frames in the last second.
        assert_eq!(rate.per_second(), 100.0);
    }
}
