//! The stapes node firmware for the Raspberry Pi Pico 2 (RP2350): an I2S MEMS microphone in, live audio features
//! out over a WebUSB vendor interface. All behaviour lives in the hardware-free `stapes-node` library; this binary
//! wires it to the hardware, one Embassy task per concern.
//!
//! Wiring (I2S microphone such as INMP441 / ICS-43434 / SPH0645, 3.3 V):
//!   BCLK (SCK)  : GPIO 18   (pin 24)
//!   LRCLK (WS)  : GPIO 19   (pin 25)
//!   DATA (SD)   : GPIO 20   (pin 26), 8.2 kΩ or less to GND (the mic leaves the right slot floating; RP2350-E9)
//!   L/R select  : GND       (the mic answers in the left slot)
//!   VDD         : 3V3(OUT)  (pin 36)
//!   GND         : GND       (pin 23)
//!
//! Tasks: `usb` (the device stack), `boot` (the node from flash), `requests` (bulk OUT → node → reply), `messages` (replies and topics → bulk
//! IN), `pipeline` (audio blocks → node), `watchdog`; `capture` (PIO + DMA) runs in a higher-priority interrupt
//! executor so the pipeline can never delay the next DMA transfer.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod device;

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    device::main()
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("stapes-node is the Pico 2 firmware (thumbv8m.main-none-eabihf): build it with `cargo xtask firmware`");
    std::process::exit(2);
}
