//! The PIO program that clocks an I2S microphone and samples its data line, and the state-machine settings it needs:
//! the one definition the firmware loads (`device/i2s_in.rs`) and the host tests run in a PIO emulator against
//! datasheet-timed microphone models (`tests/capture.rs`).
//!
//! The state machine is the I2S controller: it drives BCLK (side-set bit 0) and WS (side-set bit 1) and reads SD.
//! One frame is 64 bit clocks, 32 per slot, as the INMP441, ICS-43434 and SPH0645 datasheets require. Each bit clock
//! takes two instructions: one drives BCLK low, the next drives it high. WS changes with a falling edge, and the
//! microphones latch it on the next rising edge.
//!
//! **Where SD is sampled.** An instruction's side-set reaches the pins as the instruction executes, and `in pins`
//! reads the pins through the input synchroniser, i.e. as they were *before* that instruction's edge. So an
//! `in` on the instruction that drives BCLK high reads the bit the microphone has driven since the falling edge
//! before it — the I2S receiver's "sample on the rising edge". The MSB is driven on the falling edge one bit clock
//! after WS changes, so the first rising edge that reads it is the second after the WS change (`H1` below), and
//! the slot's 32nd bit is read on the rising edge just after WS has changed for the other slot (`H32`).
//!
//! A first version sampled on the instructions that drive BCLK *low*: each `in` then read the bit driven one bit
//! clock earlier, so every word arrived shifted right by one bit (halved, the sign lost).

/// Bit clocks per stereo frame (two 32-bit slots).
pub const BCLK_PER_FRAME: u32 = 64;
/// PIO cycles per bit clock: one instruction per BCLK phase.
pub const CYCLES_PER_BCLK: u32 = 2;
/// Bits per autopushed word: the whole left slot, MSB first (shifted left), so a 24-bit sample sits in bits 31..8
/// as `stapes_node::i2s_to_f32` reads it.
pub const WORD_BITS: u8 = 32;
/// Side-set bits of [`program`]: BCLK and WS, on consecutive pins (BCLK first).
pub const SIDE_SET_BITS: u8 = 2;

/// The capture program (10 instructions), as `pio_asm!` assembles it. `Hn`/`Ln`: the high and low phase of bit
/// clock `n` of the frame (0..63), slot 0 (WS low) being the left one.
pub fn program() -> pio::Program<{ pio::RP2040_MAX_PROGRAM_SIZE }> {
    pio::pio_asm!(
        ".side_set 2", // bit 0 = BCLK, bit 1 = WS
        ".wrap_target",
        "    set x, 29          side 0b00", // L0: WS falls to the left slot with BCLK
        "    nop                side 0b01", // H0: the right slot's last bit: not ours
        "    nop                side 0b00", // L1: the microphone drives the MSB
        "left:",
        "    in pins, 1         side 0b01", // H1..H30: sample on the rising edge
        "    jmp x-- left       side 0b00", // L2..L31
        "    in pins, 1         side 0b01", // H31
        "    set x, 30          side 0b10", // L32: WS rises to the right slot
        "    in pins, 1         side 0b11", // H32: the left slot's 32nd bit; autopush sends the word
        "right:",
        "    nop                side 0b10", // L33..L63: the right slot is clocked, not sampled
        "    jmp x-- right      side 0b11", // H33..H63
        ".wrap",
    )
    .program
}

/// PIO clock for `rate` Hz frames.
pub const fn pio_hz(rate: u32) -> u32 {
    rate * BCLK_PER_FRAME * CYCLES_PER_BCLK
}

/// A PIO clock divider: `int + frac / 256` system clocks per PIO cycle (the CLKDIV register's 16.8 fixed point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divider {
    /// `int << 8 | frac`, the CLKDIV register's INT and FRAC fields.
    pub bits: u32,
}

impl Divider {
    /// The divider for `rate` Hz frames from a `sys_hz` system clock, or `None` when the PIO cannot run that slow or
    /// that fast (the divider must lie in 1.0..=65535 + 255/256).
    ///
    /// The same arithmetic as embassy-rp 0.10's `calculate_pio_clock_divider_value` (`src/pio_programs/
    /// clock_divider.rs`): integer part, then the remainder's eight fractional bits rounded down; here without its
    /// asserts, which would panic on a rate the settings let through.
    pub const fn for_rate(sys_hz: u32, rate: u32) -> Option<Divider> {
        let target = pio_hz(rate);
        if target == 0 {
            return None;
        }
        let integer = sys_hz / target;
        let remainder = sys_hz % target;
        // remainder < target ≤ 48 kHz · 128 < 2^23, so the shift cannot overflow.
        let frac = (remainder << 8) / target;
        let bits = integer << 8 | frac;
        if bits < 0x100 || bits > 0xff_ffff {
            return None;
        }
        Some(Divider { bits })
    }

    /// The bit clock this divider gives, in mHz (exact to a millihertz, rounded down): `sys_hz / (div · 2)`.
    pub const fn bclk_mhz(self, sys_hz: u32) -> u64 {
        sys_hz as u64 * 256 * 1000 / (self.bits as u64 * CYCLES_PER_BCLK as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_fits_beside_nothing_else_and_clocks_64_bits_a_frame() {
        let p = program();
        assert!(p.code.len() <= 32);
        assert_eq!(p.side_set.bits(), SIDE_SET_BITS);
        assert!(!p.side_set.optional());
        assert_eq!((p.wrap.target, p.wrap.source), (0, p.code.len() as u8 - 1));
    }

    #[test]
    fn dividers_at_150_mhz_are_exact_at_16_and_48_khz() {
        let sys = 150_000_000;
        assert_eq!(Divider::for_rate(sys, 16_000), Some(Divider { bits: 73 << 8 | 62 }));
        assert_eq!(Divider::for_rate(sys, 16_000).map(|d| d.bclk_mhz(sys)), Some(1_024_000_000));
        assert_eq!(Divider::for_rate(sys, 48_000).map(|d| d.bclk_mhz(sys)), Some(3_072_000_000));
        assert_eq!(Divider::for_rate(sys, 0), None);
        // Faster than the system clock.
        assert_eq!(Divider::for_rate(1_000_000, 16_000), None);
    }

    /// Every rate the node's settings accept gets a divider whose bit clock is at most 1/(256·int) fast (the
    /// fraction is rounded down), under 160 ppm at 150 MHz; 44.1 kHz is the worst of the common rates.
    #[test]
    fn every_settable_rate_gets_a_bit_clock_within_160_ppm() {
        let sys = 150_000_000;
        for rate in stapes_node::settings::SAMPLE_RATES {
            let d = Divider::for_rate(sys, rate).unwrap_or_else(|| panic!("no divider for {rate} Hz"));
            let want_mhz = rate as u64 * BCLK_PER_FRAME as u64 * 1000;
            let got_mhz = d.bclk_mhz(sys);
            assert!(got_mhz >= want_mhz, "{rate} Hz: the bit clock is never slow");
            let ppm = (got_mhz - want_mhz) * 1_000_000 / want_mhz;
            assert!(ppm < 160, "{rate} Hz: bit clock {got_mhz} mHz is {ppm} ppm fast");
        }
        let ppm_44k1 = (Divider::for_rate(sys, 44_100).map(|d| d.bclk_mhz(sys)).unwrap_or(0) - 2_822_400_000)
            * 1_000_000
            / 2_822_400_000;
        assert_eq!(ppm_44k1, 106);
    }
}
