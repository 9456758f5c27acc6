//! I2S microphone input on a PIO state machine, read by DMA: 64 bit clocks per frame, the left slot kept.
//!
//! The program and its settings are `stapes_firmware::i2s_program` (hardware-free, run by the host tests in a PIO
//! emulator against the microphones' datasheet timing); this file only loads and wires it. Each DMA word is one
//! sample, 24 bits left-justified in bits 31..8, as `stapes_node::i2s_to_f32` reads it; the right slot (no mic
//! there) is clocked but not sampled.

use embassy_rp::Peri;
use embassy_rp::dma;
use embassy_rp::gpio::Pull;
use embassy_rp::interrupt::typelevel::Binding;
use embassy_rp::pio::{
    Common, Config, Direction, FifoJoin, Instance, LoadedProgram, PioPin, ShiftConfig, ShiftDirection, StateMachine,
};
use stapes_firmware::i2s_program::{self, Divider, WORD_BITS};

/// The program, loaded once into a PIO block.
pub struct I2sInProgram<'d, P: Instance> {
    program: LoadedProgram<'d, P>,
}

impl<'d, P: Instance> I2sInProgram<'d, P> {
    pub fn new(common: &mut Common<'d, P>) -> Self {
        I2sInProgram { program: common.load_program(&i2s_program::program()) }
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
        cfg.clock_divider = divider(rate);
        cfg.shift_in = ShiftConfig { threshold: WORD_BITS, direction: ShiftDirection::Left, auto_fill: true };
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
        self.sm.set_clock_divider(divider(rate));
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

/// The CLKDIV value for `rate` Hz frames at the running system clock. The settings keep the rate within 8–48 kHz,
/// for which a divider exists at any system clock of 6.144 MHz or more; the slowest divider is the fallback.
fn divider(rate: u32) -> fixed::FixedU32<fixed::types::extra::U8> {
    let bits = Divider::for_rate(embassy_rp::clocks::clk_sys_freq(), rate).map_or(0xff_ffff, |d| d.bits);
    fixed::FixedU32::from_bits(bits)
}
