//! I2S microphone input on a PIO state machine, read by DMA: 64 bit clocks per frame, the left slot kept.
//!
//! Modelled on `embassy_rp::pio_programs::i2s::PioI2sIn`, whose program clocks 16-bit slots (32 bit clocks per
//! frame): the INMP441 and ICS-43434 datasheets require 64 bit clocks per frame (32 per slot), so this program
//! clocks 32-bit slots and pushes only the left one. Each DMA word is then one sample, 24 bits left-justified in
//! bits 31..8, as `stapes_node::i2s_to_f32` reads it; the right slot (no mic there) is clocked but not sampled.

use embassy_rp::Peri;
use embassy_rp::dma;
use embassy_rp::gpio::Pull;
use embassy_rp::interrupt::typelevel::Binding;
use embassy_rp::pio::{
    Common, Config, Direction, FifoJoin, Instance, LoadedProgram, PioPin, ShiftConfig, ShiftDirection, StateMachine,
};
use embassy_rp::pio_programs::clock_divider::calculate_pio_clock_divider;

/// Bit clocks per stereo frame.
const BCLK_PER_FRAME: u32 = 64;
/// PIO instructions per bit clock (one per clock edge).
const CYCLES_PER_BCLK: u32 = 2;

/// The program, loaded once into a PIO block.
pub struct I2sInProgram<'d, P: Instance> {
    program: LoadedProgram<'d, P>,
}

impl<'d, P: Instance> I2sInProgram<'d, P> {
    pub fn new(common: &mut Common<'d, P>) -> Self {
        // Side-set bit 0 = BCLK, bit 1 = LRCLK (WS). Data is sampled with BCLK low and the mic shifts it out on the
        // falling edge; WS changes one bit clock before the MSB, as I2S wants.
        let program = embassy_rp::pio::program::pio_asm!(
            ".side_set 2",
            "    set x, 30          side 0b01",
            "left:",
            "    in pins, 1         side 0b00",
            "    jmp x-- left       side 0b01",
            "    in pins, 1         side 0b10", // 32nd bit of the left slot; autopush sends the word
            "    set x, 30          side 0b11",
            "right:",
            "    nop                side 0b10",
            "    jmp x-- right      side 0b11",
            "    nop                side 0b00",
        );
        I2sInProgram { program: common.load_program(&program.program) }
    }
}

/// The running input: a state machine and its DMA channel.
pub struct I2sIn<'d, P: Instance, const S: usize> {
    sm: StateMachine<'d, P, S>,
    dma: dma::Channel<'d>,
}

impl<'d, P: Instance, const S: usize> I2sIn<'d, P, S> {
    /// Configures `sm` as I2S controller (it drives BCLK and LRCLK) at `rate` Hz; call [`I2sIn::start`] to run.
    #[allow(clippy::too_many_arguments)]
    pub fn new<D: dma::ChannelInstance>(
        common: &mut Common<'d, P>,
        mut sm: StateMachine<'d, P, S>,
        program: &I2sInProgram<'d, P>,
        dma: Peri<'d, D>,
        irq: impl Binding<D::Interrupt, dma::InterruptHandler<D>> + 'd,
        data: Peri<'d, impl PioPin>,
        bclk: Peri<'d, impl PioPin>,
        lrclk: Peri<'d, impl PioPin>,
        data_pulldown: bool,
        rate: u32,
    ) -> Self {
        let mut data = common.make_pio_pin(data);
        if data_pulldown {
            data.set_pull(Pull::Down);
        }
        let bclk = common.make_pio_pin(bclk);
        let lrclk = common.make_pio_pin(lrclk);
        let mut cfg = Config::default();
        cfg.use_program(&program.program, &[&bclk, &lrclk]);
        cfg.set_in_pins(&[&data]);
        cfg.clock_divider = calculate_pio_clock_divider(pio_hz(rate));
        cfg.shift_in = ShiftConfig { threshold: 32, direction: ShiftDirection::Left, auto_fill: true };
        // Eight words of RX FIFO: twice the time to start the next DMA transfer.
        cfg.fifo_join = FifoJoin::RxOnly;
        sm.set_config(&cfg);
        sm.set_pin_dirs(Direction::In, &[&data]);
        sm.set_pin_dirs(Direction::Out, &[&lrclk, &bclk]);
        I2sIn { sm, dma: dma::Channel::new(dma, irq) }
    }

    pub fn start(&mut self) {
        self.sm.set_enable(true);
    }

    /// Changes the sample rate (the bit clock follows on the next divider period).
    pub fn set_rate(&mut self, rate: u32) {
        self.sm.set_clock_divider(calculate_pio_clock_divider(pio_hz(rate)));
        self.sm.clkdiv_restart();
    }

    /// Fills `buf` with the next `buf.len()` samples; the DMA runs as soon as this is called.
    pub fn read<'b>(&'b mut self, buf: &'b mut [u32]) -> dma::Transfer<'b> {
        self.sm.rx().dma_pull(&mut self.dma, buf, false)
    }

    /// Whether the state machine stalled on a full RX FIFO (samples lost) since the last call.
    pub fn overran(&mut self) -> bool {
        self.sm.rx().stalled()
    }
}

/// PIO clock for `rate` Hz frames.
fn pio_hz(rate: u32) -> u32 {
    rate * BCLK_PER_FRAME * CYCLES_PER_BCLK
}
