//! Test signals for the simulated node's microphone: deterministic, generated block by block at any rate.

/// Which signal the simulated node hears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A logarithmic sweep 100 Hz → 0.45·rate over 4 s, repeated: every mel band lights up in turn.
    Chirp,
    /// 440, 1000 and 3000 Hz at −12, −18 and −24 dBFS: fixed horizontal lines.
    Tones,
    /// White noise at −20 dBFS RMS (xorshift, fixed seed).
    Noise,
    /// Voiced syllables: a 90–140 Hz glottal pulse train through three moving formants, 4 per second with pauses.
    Speech,
}

impl Signal {
    /// Every signal, in picker order.
    pub const ALL: [Signal; 4] = [Signal::Chirp, Signal::Tones, Signal::Noise, Signal::Speech];

    /// The picker's name (also the value stored in the page's settings).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Chirp => "chirp",
            Signal::Tones => "tones",
            Signal::Noise => "noise",
            Signal::Speech => "speech",
        }
    }

    /// The signal named `name`.
    pub fn from_name(name: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Generates a signal sample by sample; the state carries phase across blocks, so block size does not matter.
pub struct Generator {
    signal: Signal,
    rate: f64,
    n: u64,
    phase: [f64; 3],
    rng: u32,
    formants: [Resonator; 3],
}

impl Generator {
    /// A generator at `rate` Hz.
    pub fn new(signal: Signal, rate: u32) -> Generator {
        Generator {
            signal,
            rate: f64::from(rate.max(1)),
            n: 0,
            phase: [0.0; 3],
            rng: 0x9E37_79B9,
            formants: [Resonator::default(); 3],
        }
    }

    /// The signal being generated.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The sample rate, Hz.
    pub fn rate(&self) -> u32 {
        self.rate as u32
    }

    /// Fills `out` with the next samples, in [-1, 1].
    pub fn fill(&mut self, out: &mut [f32]) {
        for v in out {
            *v = self.next() as f32;
        }
    }

    fn next(&mut self) -> f64 {
        use core::f64::consts::TAU;
        let t = self.n as f64 / self.rate;
        self.n += 1;
        match self.signal {
            Signal::Chirp => {
                let (f0, f1, period) = (100.0, 0.45 * self.rate, 4.0);
                let f = f0 * (f1 / f0).powf((t % period) / period);
                self.phase[0] = (self.phase[0] + TAU * f / self.rate) % TAU;
                0.5 * self.phase[0].sin()
            }
            Signal::Tones => {
                let mut sum = 0.0;
                for (i, (f, amp)) in [(440.0, 0.25), (1000.0, 0.126), (3000.0, 0.063)].into_iter().enumerate() {
                    self.phase[i] = (self.phase[i] + TAU * f / self.rate) % TAU;
                    sum += amp * self.phase[i].sin();
                }
                sum
            }
            Signal::Noise => 0.1 * self.uniform() * 3f64.sqrt(),
            Signal::Speech => {
                let syllable = (t * 4.0) % 1.0;
                let gate = if syllable < 0.7 { (syllable / 0.7 * core::f64::consts::PI).sin() } else { 0.0 };
                let pitch = 115.0 + 25.0 * (TAU * 0.7 * t).sin();
                self.phase[0] += pitch / self.rate;
                let pulse = if self.phase[0] >= 1.0 {
                    self.phase[0] -= 1.0;
                    1.0
                } else {
                    0.0
                };
                let excitation = pulse * gate + 0.002 * self.uniform();
                let vowel = (t * 4.0).floor() as u64 % 3;
                let targets: [[f64; 3]; 3] = [[730.0, 1090.0, 2440.0], [270.0, 2290.0, 3010.0], [570.0, 840.0, 2410.0]];
                let mut out = 0.0;
                for (k, r) in self.formants.iter_mut().enumerate() {
                    out += r.step(excitation, targets[vowel as usize][k], 80.0 + 40.0 * k as f64, self.rate);
                }
                (out * 0.08).clamp(-1.0, 1.0)
            }
        }
    }

    /// Uniform in [-1, 1) from xorshift32.
    fn uniform(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 17;
        self.rng ^= self.rng << 5;
        f64::from(self.rng) / f64::from(u32::MAX) * 2.0 - 1.0
    }
}

/// A two-pole resonator (one formant).
#[derive(Clone, Copy, Default)]
struct Resonator {
    y1: f64,
    y2: f64,
}

impl Resonator {
    fn step(&mut self, x: f64, freq: f64, bandwidth: f64, rate: f64) -> f64 {
        use core::f64::consts::{PI, TAU};
        let r = (-PI * bandwidth / rate).exp();
        let a1 = 2.0 * r * (TAU * freq / rate).cos();
        let a2 = -r * r;
        let y = (1.0 - r) * x + a1 * self.y1 + a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn block_size_does_not_change_the_signal() {
        for signal in Signal::ALL {
            let mut whole = vec![0.0; 4000];
            Generator::new(signal, 16_000).fill(&mut whole);
            let mut parts = vec![0.0; 4000];
            let mut g = Generator::new(signal, 16_000);
            for chunk in parts.chunks_mut(333) {
                g.fill(chunk);
            }
            assert_eq!(whole, parts, "{}", signal.name());
            assert!(whole.iter().all(|v| v.abs() <= 1.0));
            assert!(rms(&whole) > 1e-3, "{} is silent", signal.name());
        }
    }

    #[test]
    fn levels_are_as_documented() {
        let mut x = vec![0.0; 16_000];
        Generator::new(Signal::Noise, 16_000).fill(&mut x);
        let db = 20.0 * rms(&x).log10();
        assert!((db + 20.0).abs() < 0.5, "noise at {db} dBFS");
        Generator::new(Signal::Chirp, 16_000).fill(&mut x);
        assert!((rms(&x) - 0.5 / 2f32.sqrt()).abs() < 0.01);
        assert_eq!(Signal::from_name("speech"), Some(Signal::Speech));
        assert_eq!(Signal::from_name("sing"), None);
    }
}
