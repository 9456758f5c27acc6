//! The firmware on the RP2350: peripherals, executors and task spawning (`main`), one module per concern.

pub mod capture;
pub mod flash;
pub mod i2s_in;
pub mod node;
pub mod system;
pub mod usb;

use core::panic::PanicInfo;

use embassy_executor::{Executor, InterruptExecutor};
use embassy_rp::interrupt;
use embassy_rp::interrupt::{InterruptExt, Priority};
use embassy_rp::peripherals::{DMA_CH0, PIO0, USB};
use embassy_rp::pio::Pio;
use embassy_rp::watchdog::Watchdog;
use embassy_rp::{bind_interrupts, dma, pio};
use stapes_firmware::audio::{BLOCK_WORDS, DEFAULT_RATE, POOL_BLOCKS, STALL_WORDS};
use static_cell::StaticCell;

use crate::device::i2s_in::{I2sIn, I2sInProgram};

bind_interrupts!(struct Irqs {
    PIO0_IRQ_0 => pio::InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
    USBCTRL_IRQ => embassy_rp::usb::InterruptHandler<USB>;
});

/// Capture's executor: preempts the thread-mode tasks.
static CAPTURE_EXECUTOR: InterruptExecutor = InterruptExecutor::new();

#[interrupt]
unsafe fn SWI_IRQ_1() {
    // SAFETY: the interrupt this executor was started on.
    unsafe { CAPTURE_EXECUTOR.on_interrupt() }
}

/// The mic's data line has an external pull-down of 8.2 kΩ or less, so the internal one stays off: per erratum
/// RP2350-E9 (RP2350 datasheet, A2 silicon) an input pad floating between VIL and VIH, as SD is while the mic leaves
/// it undriven, leaks current that holds it near 2.2 V; neither the internal pull-down nor a 100 kΩ resistor can
/// pull it low, "a low impedance source of 8.2 kΩ or less" can.
const USE_INTERNAL_PULLDOWN: bool = false;

/// Sets up the hardware and runs the executors; never returns.
pub fn main() -> ! {
    let p = embassy_rp::init(Default::default());
    let mut core = cortex_m::Peripherals::take().expect("taken once, at boot");
    system::start_cycle_counter(&mut core.DCB, &mut core.DWT);

    // Audio: PIO0 state machine 0 drives BCLK/LRCLK and samples DATA; DMA channel 0 drains it. `main` never
    // returns (the executor runs forever), so these locals live as long as the driver.
    let Pio { mut common, sm0, .. } = Pio::new(p.PIO0, Irqs);
    let program = I2sInProgram::new(&mut common);
    let i2s = I2sIn::new(
        &mut common,
        sm0,
        &program,
        p.DMA_CH0,
        Irqs,
        p.PIN_20,
        p.PIN_18,
        p.PIN_19,
        USE_INTERNAL_PULLDOWN,
        DEFAULT_RATE,
    );
    static BLOCKS: StaticCell<[[u32; BLOCK_WORDS]; POOL_BLOCKS]> = StaticCell::new();
    static STALL: StaticCell<[u32; STALL_WORDS]> = StaticCell::new();
    capture::BUFFERS.provide(BLOCKS.init([[0; BLOCK_WORDS]; POOL_BLOCKS]), STALL.init([0; STALL_WORDS]));

    interrupt::SWI_IRQ_1.set_priority(Priority::P2);
    let high = CAPTURE_EXECUTOR.start(interrupt::SWI_IRQ_1);
    high.spawn(capture_task(i2s).expect("spawned once"));

    static SERIAL: StaticCell<[u8; 16]> = StaticCell::new();
    let chip_id = embassy_rp::otp::get_chipid().unwrap_or(0);
    let serial = SERIAL.init(stapes_firmware::usb::serial_number(chip_id));
    let serial = core::str::from_utf8(serial).unwrap_or("0000000000000000");
    let (device, rx, tx) = usb::build(embassy_rp::usb::Driver::new(p.USB, Irqs), serial);
    let flash = flash::settings(flash::PicoFlash::new_blocking(p.FLASH));

    static EXECUTOR: StaticCell<Executor> = StaticCell::new();
    EXECUTOR.init(Executor::new()).run(|spawner| {
        spawner.spawn(system::watchdog(Watchdog::new(p.WATCHDOG)).expect("spawned once"));
        spawner.spawn(usb_task(device).expect("spawned once"));
        spawner.spawn(node::boot(spawner, flash, chip_id, rx, tx).expect("spawned once"));
    })
}

#[embassy_executor::task]
async fn capture_task(i2s: I2sIn<'static, PIO0, 0>) -> ! {
    capture::BUFFERS.capture(capture::Mic(i2s)).await
}

#[embassy_executor::task]
async fn usb_task(mut device: embassy_usb::UsbDevice<'static, usb::UsbDriver>) -> ! {
    device.run().await
}

/// A panic is a bug: restart (the watchdog would too, later) rather than hang with the USB device gone.
#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    system::reboot()
}
