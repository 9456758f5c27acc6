//! The node: settings, pipeline, stream and send queue, driven by requests, audio blocks and the firmware's
//! health inputs.

use core::ops::Range;

use embedded_storage_async::nor_flash::NorFlash;
use stapes_core::Pipeline;
use stapes_protocol::{
    AudioBlock, AudioTopic, FeatureFrame, FeaturesTopic, HealthTopic, MAX_AUDIO_SAMPLES, MAX_MESSAGE_LEN, NodeSettings,
    ScalarFrame, ScalarsTopic, SettingsOrigin, Topic, encode_topic,
};

use crate::clock::Clock;
use crate::identity::Identity;
use crate::memory::Memory;
use crate::queue::Queue;
use crate::settings;
use crate::store::Store;

/// A stapes node over settings flash `F` and clock `C`; `'m` is the lifetime of its [`Memory`].
pub struct Node<'m, F: NorFlash, C: Clock> {
    pub(crate) store: Store<F>,
    pub(crate) clock: C,
    pub(crate) identity: Identity,
    pub(crate) settings: NodeSettings,
    pub(crate) origin: SettingsOrigin,
    pub(crate) pipeline: Pipeline<&'m mut [f32]>,
    pub(crate) queue: Queue<'m>,
    pub(crate) scratch: &'m mut [u8; MAX_MESSAGE_LEN],
    pub(crate) stream: Option<Stream>,
    pub(crate) health: Counters,
    pub(crate) boot_us: u64,
}

/// A running stream.
pub(crate) struct Stream {
    /// Clock time of `stream/start`.
    start_us: u64,
    /// Samples received since.
    samples: u64,
    /// Next sequence number of each topic.
    seq: Sequences,
    /// Sample count at which the next health message is due.
    next_health: u64,
}

/// The next sequence number of each topic a stream sends (the host counts drops from gaps in each).
#[derive(Clone, Copy, Default)]
struct Sequences {
    features: u32,
    scalars: u32,
    audio: u32,
    health: u32,
}

/// Health inputs accumulated since boot.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) frames: u64,
    pub(crate) dropped: u32,
    pub(crate) cycles_last: u32,
    pub(crate) cycles_max: u32,
    pub(crate) usb_errors: u32,
    pub(crate) overruns: u32,
    pub(crate) bad_blocks: u32,
}

impl<'m, F: NorFlash, C: Clock> Node<'m, F, C> {
    /// Boots: reads the settings from `settings_range` of `flash` and builds their pipeline in `memory`. Never
    /// fails: missing, corrupt, unknown-version or unusable settings give the defaults, and `info` says why.
    ///
    /// # Panics
    /// If `settings_range` is not whole 4 KiB sectors, at least two, inside the flash (a build error). (The
    /// defaults always fit the pipeline storage: every boot in the tests checks it.)
    pub async fn boot(
        memory: &'m mut Memory,
        flash: F,
        settings_range: Range<u32>,
        clock: C,
        identity: Identity,
    ) -> Self {
        let Memory { pipeline, queue, scratch } = memory;
        let defaults = settings::defaults();
        let pipeline = match Pipeline::new(&defaults.config, &mut pipeline[..]) {
            Ok(p) => p,
            Err(e) => panic!("the default settings must fit the node: {e}"),
        };
        let mut node = Node {
            store: Store::new(flash, settings_range),
            boot_us: clock.now_us(),
            clock,
            identity,
            settings: defaults,
            origin: SettingsOrigin::Defaults,
            pipeline,
            queue: Queue::new(&mut queue[..]),
            scratch,
            stream: None,
            health: Counters::default(),
        };
        match node.store.load(|s| settings::check(s).is_ok()).await {
            Ok(stored) => match node.pipeline.reconfigure(&stored.config) {
                Ok(()) => (node.settings, node.origin) = (stored, SettingsOrigin::Stored),
                Err(_) => node.origin = SettingsOrigin::ResetInvalid,
            },
            Err(origin) => node.origin = origin,
        }
        node
    }

    /// The settings in force.
    pub fn settings(&self) -> &NodeSettings {
        &self.settings
    }

    /// Whether a stream is running (the firmware may stop feeding audio when not).
    pub fn is_streaming(&self) -> bool {
        self.stream.is_some()
    }

    /// Feeds samples in [-1, 1] at the config's sample rate (convert microphone words with
    /// [`i2s_to_f32`](crate::i2s_to_f32)). While streaming, runs the pipeline and queues the topic messages of
    /// every frame completed; otherwise ignores them. Returns the number of frames computed (for
    /// [`record_frame_cycles`](Self::record_frame_cycles)). A block with NaN or infinite samples is dropped whole
    /// and counted in health.
    pub fn push_audio(&mut self, samples: &[f32]) -> usize {
        if self.stream.is_none() {
            return 0;
        }
        let mut frames = 0;
        if self.settings.streams.audio {
            // The pipeline runs on the 16-bit samples it sends, so the host can recompute every feature.
            let mut q = [0i16; MAX_AUDIO_SAMPLES];
            let mut x = [0f32; MAX_AUDIO_SAMPLES];
            for block in samples.chunks(MAX_AUDIO_SAMPLES) {
                let n = block.len();
                if block.iter().any(|s| !s.is_finite()) {
                    self.health.bad_blocks += 1;
                    continue;
                }
                for ((q, x), &s) in q.iter_mut().zip(x.iter_mut()).zip(block) {
                    *q = to_i16(s);
                    *x = f32::from(*q) * (1.0 / 32768.0);
                }
                self.send_audio(&q[..n]);
                frames += self.run(&x[..n]);
            }
        } else {
            frames = self.run(samples);
        }
        self.health_if_due();
        frames
    }

    /// Moves the oldest queued topic message into `out` (give it [`MAX_MESSAGE_LEN`] bytes) and returns its length.
    pub fn next_message(&mut self, out: &mut [u8]) -> Option<usize> {
        self.queue.pop(out)
    }

    /// Counts a failed USB transfer (reported in health).
    pub fn record_usb_error(&mut self) {
        self.health.usb_errors = self.health.usb_errors.saturating_add(1);
    }

    /// Counts `samples` lost before they reached [`push_audio`](Self::push_audio) (DMA overrun).
    pub fn record_overrun(&mut self, samples: u32) {
        self.health.overruns = self.health.overruns.saturating_add(samples);
    }

    /// Records the CPU cycles one frame took (the firmware divides a `push_audio` call's cycles by its frames).
    pub fn record_frame_cycles(&mut self, cycles: u32) {
        self.health.cycles_last = cycles;
        self.health.cycles_max = self.health.cycles_max.max(cycles);
    }

    /// Health now.
    pub fn health(&self) -> stapes_protocol::Health {
        let h = &self.health;
        stapes_protocol::Health {
            uptime_us: self.uptime_us(),
            frames: h.frames,
            dropped_messages: h.dropped,
            queue_fill: self.queue.fill() as u32,
            queue_capacity: self.queue.capacity() as u32,
            frame_cycles_last: h.cycles_last,
            frame_cycles_max: h.cycles_max,
            usb_errors: h.usb_errors,
            overruns: h.overruns,
            bad_blocks: h.bad_blocks,
        }
    }

    pub(crate) fn uptime_us(&self) -> u64 {
        self.clock.now_us().saturating_sub(self.boot_us)
    }

    /// Starts a stream: fresh pipeline state, empty queue, sequence numbers from 0.
    pub(crate) fn start_stream(&mut self) {
        self.pipeline.reset();
        self.queue.clear();
        let first_health = self.health_interval_samples();
        self.stream = Some(Stream {
            start_us: self.clock.now_us(),
            samples: 0,
            seq: Sequences::default(),
            next_health: first_health,
        });
    }

    /// Ends the stream as `stream/stop` does: the final frames (end padding) are computed and queued. True if one
    /// was running.
    pub fn stop_stream(&mut self) -> bool {
        if self.stream.is_none() {
            return false;
        }
        let Node { pipeline, queue, scratch, stream, health, settings, .. } = self;
        let mut sink = FrameSink { queue, scratch, stream: stream.as_mut(), health, settings };
        pipeline.flush(&mut |f| sink.frame(f));
        self.stream = None;
        true
    }

    /// The host went away (bus reset, deconfiguration, suspend, unplug): the stream stops without its final
    /// frames and the send queue is emptied, so that the next session starts with nothing of this one. True if a
    /// stream was running. The host starts a new stream with `stream/start`.
    pub fn host_gone(&mut self) -> bool {
        self.queue.clear();
        self.stream.take().is_some()
    }

    fn health_interval_samples(&self) -> u64 {
        u64::from(self.settings.health_interval_ms) * u64::from(self.settings.config.sample_rate) / 1000
    }

    /// Runs the pipeline on samples of the stream.
    fn run(&mut self, samples: &[f32]) -> usize {
        let Node { pipeline, queue, scratch, stream, health, settings, .. } = self;
        let Some(stream) = stream.as_mut() else { return 0 };
        let mut sink = FrameSink { queue, scratch, stream: Some(&mut *stream), health, settings };
        match pipeline.push(samples, &mut |f| sink.frame(f)) {
            Ok(n) => {
                stream.samples += samples.len() as u64;
                n
            }
            Err(_) => {
                health.bad_blocks += 1;
                0
            }
        }
    }

    fn send_audio(&mut self, samples: &[i16]) {
        let Some(stream) = self.stream.as_mut() else { return };
        let block = AudioBlock { first_sample: stream.samples, samples: samples.into() };
        let seq = next(&mut stream.seq.audio);
        queue_message::<AudioTopic>(&mut self.queue, &mut self.scratch[..], &mut self.health, seq, &block);
    }

    fn health_if_due(&mut self) {
        let interval = self.health_interval_samples().max(1);
        let due = self.stream.as_ref().is_some_and(|s| s.samples >= s.next_health);
        if !(due && self.settings.streams.health) {
            return;
        }
        let health = self.health();
        let Some(stream) = self.stream.as_mut() else { return };
        // The next multiple of the interval after the samples so far: one message per interval at most.
        stream.next_health = (stream.samples / interval + 1) * interval;
        let seq = next(&mut stream.seq.health);
        queue_message::<HealthTopic>(&mut self.queue, &mut self.scratch[..], &mut self.health, seq, &health);
    }
}

/// Where the pipeline's frames go: encoded into the queue, one message per enabled topic.
struct FrameSink<'a, 'm> {
    queue: &'a mut Queue<'m>,
    scratch: &'a mut [u8; MAX_MESSAGE_LEN],
    stream: Option<&'a mut Stream>,
    health: &'a mut Counters,
    settings: &'a NodeSettings,
}

impl FrameSink<'_, '_> {
    fn frame(&mut self, f: stapes_core::Frame<'_>) {
        self.health.frames += 1;
        let Some(stream) = self.stream.as_deref_mut() else { return };
        let config = &self.settings.config;
        let offset_us = f.index * u64::from(config.frames.hop_length) * 1_000_000 / u64::from(config.sample_rate);
        let timestamp_us = stream.start_us + offset_us;
        if self.settings.streams.features {
            let seq = next(&mut stream.seq.features);
            let msg = FeatureFrame { index: f.index, timestamp_us, features: f.features.into() };
            queue_message::<FeaturesTopic>(self.queue, &mut self.scratch[..], self.health, seq, &msg);
        }
        if self.settings.streams.scalars && !f.scalars.is_empty() {
            let seq = next(&mut stream.seq.scalars);
            let msg = ScalarFrame { index: f.index, timestamp_us, values: f.scalars.into() };
            queue_message::<ScalarsTopic>(self.queue, &mut self.scratch[..], self.health, seq, &msg);
        }
    }
}

/// Returns `*seq` and advances it.
fn next(seq: &mut u32) -> u32 {
    let s = *seq;
    *seq = s.wrapping_add(1);
    s
}

/// Encodes and queues a topic message; counts it dropped when the queue is full.
fn queue_message<T: Topic>(
    queue: &mut Queue<'_>,
    scratch: &mut [u8],
    health: &mut Counters,
    seq: u32,
    msg: &T::Message<'_>,
) {
    let sent = encode_topic::<T>(seq, msg, scratch).is_ok_and(|len| queue.push(&scratch[..len]));
    if !sent {
        health.dropped = health.dropped.saturating_add(1);
    }
}

/// Rounds to the nearest 16-bit sample (ties away from zero), saturating.
fn to_i16(x: f32) -> i16 {
    let v = x * 32768.0;
    let r = if v >= 0.0 { v + 0.5 } else { v - 0.5 };
    r.clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::to_i16;

    #[test]
    fn sixteen_bit_rounding_saturates() {
        assert_eq!(
            [to_i16(0.0), to_i16(1.0), to_i16(-1.0), to_i16(-2.0), to_i16(0.5)],
            [0, 32767, -32768, -32768, 16384]
        );
        assert_eq!([to_i16(1.4 / 32768.0), to_i16(1.6 / 32768.0), to_i16(-1.6 / 32768.0)], [1, 2, -2]);
    }
}
