//! The flasher against the fake RP2350 bootrom: a UF2 lands exactly, each fault gives the right error and a retry
//! succeeds, and bad files or devices are refused before anything is erased.

mod fake;

use std::ops::ControlFlow;

use fake::{FakeBootrom, Fault, block_on};
use stapes_flasher::picoboot::{self, Command, Status, Transport, UsbError};
use stapes_flasher::uf2::{self, FLASH_BASE, FLASH_LEN, SECTOR_LEN, Uf2, family};
use stapes_flasher::{ACK_AFTER_DATA_MS, COMMAND_MS, CONTROL_MS, DATA_MS, FlashError, Flasher, Progress};

/// A 3-sector firmware image at the start of flash plus one page far away (a sparse UF2): 4 sectors to flash.
fn firmware() -> (Vec<u8>, Uf2) {
    let image: Vec<u8> = (0..10_000u32).map(|i| (i * 13 + i / 97) as u8).collect();
    let mut file = uf2::write(FLASH_BASE, &image, family::RP2350_ARM_S).unwrap();
    // Append one page at +1 MiB + 0x300 and renumber: block counts must stay consistent.
    let far = uf2::write(FLASH_BASE + 0x10_0300, &[0xA5; 256], family::RP2350_ARM_S).unwrap();
    file.extend_from_slice(&far);
    let blocks = file.len() / uf2::BLOCK_LEN;
    for (k, block) in file.chunks_exact_mut(uf2::BLOCK_LEN).enumerate() {
        block[20..24].copy_from_slice(&(k as u32).to_le_bytes());
        block[24..28].copy_from_slice(&(blocks as u32).to_le_bytes());
    }
    let parsed = Uf2::parse(&file).unwrap();
    (file, parsed)
}

/// Checks every byte of the fake flash: UF2 pages exactly, 0xFF in the rest of each sector flashed, and the old
/// contents everywhere else.
fn assert_holds_exactly(device: &FakeBootrom, uf2: &Uf2) {
    let old = FakeBootrom::new().flash;
    let sectors: Vec<u32> = uf2.sectors().iter().map(|s| s.addr).collect();
    let mut expected = old.clone();
    for &s in &sectors {
        let at = (s - FLASH_BASE) as usize;
        expected[at..at + SECTOR_LEN as usize].fill(0xFF);
    }
    for (addr, page) in uf2.pages() {
        let at = (addr - FLASH_BASE) as usize;
        expected[at..at + 256].copy_from_slice(page);
    }
    assert_eq!(expected.len(), FLASH_LEN as usize);
    if let Some(i) = (0..expected.len()).find(|&i| device.flash[i] != expected[i]) {
        panic!("flash differs at {:#010x}", FLASH_BASE + i as u32);
    }
}

fn flash(device: FakeBootrom, uf2: &Uf2) -> (FakeBootrom, Result<(), FlashError>, Vec<Progress>) {
    let mut flasher = Flasher::new(device);
    let mut seen = Vec::new();
    let result = block_on(flasher.flash(uf2, |p| {
        seen.push(p);
        ControlFlow::Continue(())
    }));
    (flasher.into_transport(), result, seen)
}

#[test]
fn a_uf2_lands_exactly_and_the_board_reboots() {
    let (_, uf2) = firmware();
    let (device, result, progress) = flash(FakeBootrom::new(), &uf2);
    result.unwrap();
    assert_holds_exactly(&device, &uf2);
    assert!(device.rebooted);
    assert_eq!(device.exclusive, picoboot::EXCLUSIVE_AND_EJECT);
    let total = 4 * SECTOR_LEN;
    let done: Vec<u32> = progress.iter().map(|p| p.done).collect();
    assert_eq!(done, [SECTOR_LEN, 2 * SECTOR_LEN, 3 * SECTOR_LEN, total]);
    assert!(progress.iter().all(|p| p.total == total));
    // Boot sector: erased first, written last; the others erase → write → read each, every flash command right
    // after an EXIT_XIP.
    let boot = FLASH_BASE;
    let exit = Command::ExitXip;
    assert_eq!(
        &device.log[..3],
        &[
            Command::ExclusiveAccess(picoboot::EXCLUSIVE_AND_EJECT),
            exit,
            Command::FlashErase { addr: boot, size: SECTOR_LEN },
        ]
    );
    let second = boot + SECTOR_LEN;
    assert_eq!(
        &device.log[3..9],
        &[
            exit,
            Command::FlashErase { addr: second, size: SECTOR_LEN },
            exit,
            Command::Write { addr: second, size: SECTOR_LEN },
            exit,
            Command::Read { addr: second, size: SECTOR_LEN },
        ]
    );
    let n = device.log.len();
    assert_eq!(
        &device.log[n - 5..n - 1],
        &[exit, Command::Write { addr: boot, size: SECTOR_LEN }, exit, Command::Read { addr: boot, size: SECTOR_LEN },]
    );
    assert!(matches!(device.log[n - 1], Command::Reboot2 { flags: picoboot::REBOOT2_NORMAL, .. }));
    let erases = device.log.iter().filter(|c| matches!(c, Command::FlashErase { .. })).count();
    assert_eq!(erases, 4);
    for (k, c) in device.log.iter().enumerate() {
        if matches!(c, Command::FlashErase { .. } | Command::Write { .. } | Command::Read { .. }) {
            assert_eq!(device.log[k - 1], exit, "command {k} ({c:?}) without EXIT_XIP before it");
        }
    }
    assert!(!device.flash_aborted);
}

#[test]
fn a_rom_fresh_from_enumeration_ignores_flash_commands_until_exit_xip() {
    // What the A2 ROM does to a client that never sends EXIT_XIP: every command succeeds, nothing changes.
    let mut device = FakeBootrom::new();
    assert!(device.flash_aborted, "the host configured the device when it enumerated, which arms the abort");
    let addr = FLASH_BASE + SECTOR_LEN;
    let before = device.at(addr, 256).to_vec();
    let run = |device: &mut FakeBootrom, token: u32, command: Command, data: &mut [u8]| {
        block_on(async {
            device.bulk_out(&command.encode(token)).await?;
            if command.is_in() {
                assert_eq!(device.bulk_in(data).await?, data.len());
                device.bulk_out(&picoboot::ACK_OUT).await
            } else {
                if !data.is_empty() {
                    device.bulk_out(data).await?;
                }
                assert_eq!(device.bulk_in(&mut [0; 1]).await?, 0);
                Ok::<_, UsbError>(())
            }
        })
    };
    run(&mut device, 1, Command::FlashErase { addr, size: SECTOR_LEN }, &mut []).unwrap();
    run(&mut device, 2, Command::Write { addr, size: 256 }, &mut [0x11; 256]).unwrap();
    assert_eq!(device.at(addr, 256), &before[..], "erase and write while aborted must change nothing");
    let mut back = [0xAA; 256];
    run(&mut device, 3, Command::Read { addr, size: 256 }, &mut back).unwrap();
    assert_eq!(back, [0; 256], "a read while aborted sees the data line held low");
    // EXIT_XIP clears the latch: the same commands now work.
    run(&mut device, 4, Command::ExitXip, &mut []).unwrap();
    run(&mut device, 5, Command::FlashErase { addr, size: SECTOR_LEN }, &mut []).unwrap();
    run(&mut device, 6, Command::Write { addr, size: 256 }, &mut [0x11; 256]).unwrap();
    run(&mut device, 7, Command::Read { addr, size: 256 }, &mut back).unwrap();
    assert_eq!(back, [0x11; 256]);
    // An interface reset in the middle of a command (here a READ's data phase) arms it again; one between commands
    // does not.
    block_on(device.control_out(picoboot::IF_RESET)).unwrap();
    assert!(!device.flash_aborted);
    block_on(device.bulk_out(&Command::Read { addr, size: 256 }.encode(8))).unwrap();
    block_on(device.control_out(picoboot::IF_RESET)).unwrap();
    assert!(device.flash_aborted);
    // So does the host configuring the device again (another program, a replug).
    run(&mut device, 9, Command::ExitXip, &mut []).unwrap();
    device.configure();
    assert!(device.flash_aborted);
}

#[test]
fn the_fake_is_as_strict_as_the_rom() {
    let mut device = FakeBootrom::new();
    let status = |device: &mut FakeBootrom| {
        let mut reply = [0; picoboot::STATUS_LEN];
        block_on(device.control_in(picoboot::IF_CMD_STATUS, &mut reply)).unwrap();
        picoboot::CommandStatus::decode(&reply).unwrap()
    };
    // A flash READ at an address off a 256-byte page is refused when its data phase starts.
    block_on(device.bulk_out(&Command::Read { addr: FLASH_BASE + 0x80, size: 256 }.encode(1))).unwrap();
    assert_eq!(block_on(device.bulk_in(&mut [0; 256])), Err(UsbError::Stall));
    assert_eq!(status(&mut device).status, Status::BAD_ALIGNMENT);
    // CMD_STATUS is answered only for a 16-byte request.
    for len in [8, 15, 17, 64] {
        assert_eq!(block_on(device.control_in(picoboot::IF_CMD_STATUS, &mut vec![0; len])), Err(UsbError::Stall));
    }
    // Clearing the halts alone (no IF_RESET) un-stalls the endpoints, as CLEAR_FEATURE(ENDPOINT_HALT) does.
    assert_eq!(block_on(device.bulk_out(&Command::ExitXip.encode(2))), Err(UsbError::Stall));
    block_on(device.clear_halt()).unwrap();
    block_on(device.bulk_out(&Command::ExitXip.encode(3))).unwrap();
    assert_eq!(block_on(device.bulk_in(&mut [0; 1])), Ok(0));
    // The OUT acknowledgement is one packet: more than 64 bytes is refused.
    block_on(device.bulk_out(&Command::Read { addr: FLASH_BASE, size: 256 }.encode(4))).unwrap();
    assert_eq!(block_on(device.bulk_in(&mut [0; 256])), Ok(256));
    assert_eq!(block_on(device.bulk_out(&[0; 65])), Err(UsbError::Stall));
}

#[test]
fn every_transfer_is_timed_as_picotool_times_it() {
    let (_, uf2) = firmware();
    let (device, result, _) = flash(FakeBootrom::new(), &uf2);
    result.unwrap();
    let timeouts = device.timeouts.borrow();
    // Clear halts + IF_RESET; EXCLUSIVE_ACCESS, EXIT_XIP, FLASH_ERASE (command, ack after no data); then the second
    // sector's EXIT_XIP, FLASH_ERASE, EXIT_XIP, WRITE (command, data, ack), EXIT_XIP, READ.
    let no_data = [COMMAND_MS, DATA_MS];
    let data = [COMMAND_MS, DATA_MS, ACK_AFTER_DATA_MS];
    let expected: Vec<u32> = [
        &[CONTROL_MS, CONTROL_MS][..],
        &no_data,
        &no_data,
        &no_data,
        &no_data,
        &no_data,
        &no_data,
        &data,
        &no_data,
        &data,
    ]
    .concat();
    assert_eq!(&timeouts[..expected.len()], &expected[..]);
    assert_eq!((COMMAND_MS, DATA_MS, ACK_AFTER_DATA_MS, CONTROL_MS), (3000, 10_000, 3000, 1000));
}

#[test]
fn the_out_acknowledgement_is_one_byte_as_picotool_sends_it() {
    let (_, uf2) = firmware();
    let (device, result, _) = flash(FakeBootrom::new(), &uf2);
    result.unwrap();
    // One per READ: four sectors verified.
    assert_eq!(device.acks_out, [1; 4]);
}

#[test]
fn remaining_time_extrapolates_the_rate() {
    assert_eq!(Progress { done: 0, total: 8192 }.remaining_ms(10.0), None);
    assert_eq!(Progress { done: 4096, total: 16384 }.remaining_ms(100.0), Some(300.0));
}

/// Runs a flash that must fail with `check`, then a retry on the same (reconnected) device that must succeed.
fn fault_then_retry(fault: Fault, check: impl Fn(&FlashError)) {
    let (_, uf2) = firmware();
    let mut device = FakeBootrom::new();
    device.inject(fault);
    let (mut device, result, _) = flash(device, &uf2);
    let err = result.unwrap_err();
    check(&err);
    assert!(!device.rebooted, "no reboot after a failed update");
    // Recovery: the boot sector is blank, so the board would come up in the bootloader again.
    assert!(device.at(FLASH_BASE, SECTOR_LEN as usize).iter().all(|&b| b == 0xFF));
    // After a disconnect the board must be plugged in again; any other fault is retried as it stands.
    if matches!(err, FlashError::Disconnected { .. }) {
        device.reconnect();
    }
    let (device, result, _) = flash(device, &uf2);
    result.unwrap();
    assert_holds_exactly(&device, &uf2);
    assert!(device.rebooted);
}

#[test]
fn a_refused_erase_names_the_status_and_retries() {
    let fault = Fault::Stall { id: 0x03, nth: 2, status: Status::NOT_PERMITTED };
    fault_then_retry(fault, |err| {
        let addr = Some(FLASH_BASE + 2 * SECTOR_LEN);
        assert_eq!(*err, FlashError::Rejected { command: "FLASH_ERASE", addr, status: Status::NOT_PERMITTED });
        let text = err.to_string();
        assert!(text.contains("NOT_PERMITTED") && text.contains("0x10002000") && text.contains("picotool"), "{text}");
    });
}

#[test]
fn a_failed_write_is_reported_at_its_address_and_retries() {
    let fault = Fault::Stall { id: 0x05, nth: 1, status: Status::UNKNOWN_ERROR };
    fault_then_retry(fault, |err| {
        let addr = Some(FLASH_BASE + 2 * SECTOR_LEN);
        assert_eq!(*err, FlashError::Rejected { command: "WRITE", addr, status: Status::UNKNOWN_ERROR });
        assert!(err.to_string().contains("BOOTSEL"), "{err}");
    });
}

#[test]
fn a_stall_without_reason_says_what_to_do_and_retries() {
    fault_then_retry(Fault::Stall { id: 0x84, nth: 0, status: Status::OK }, |err| {
        let addr = Some(FLASH_BASE + SECTOR_LEN);
        assert_eq!(*err, FlashError::Stalled { command: "READ", addr });
        assert!(err.to_string().contains("retry"), "{err}");
    });
}

#[test]
fn a_corrupted_write_fails_verification_at_the_byte() {
    // WRITE 0 is the second sector (the boot sector is written last); the fake flips a bit at offset 100.
    fault_then_retry(Fault::CorruptWrite { nth: 0 }, |err| {
        assert_eq!(*err, FlashError::VerifyMismatch { addr: FLASH_BASE + SECTOR_LEN + 100 });
        assert!(err.to_string().contains("0x10001064"), "{err}");
    });
}

#[test]
fn a_stuck_write_times_out_the_interface_is_recovered_and_a_retry_succeeds() {
    fault_then_retry(Fault::Hang { id: 0x05, nth: 1 }, |err| {
        let addr = Some(FLASH_BASE + 2 * SECTOR_LEN);
        assert_eq!(*err, FlashError::TimedOut { command: "WRITE", addr, ms: DATA_MS, recovered: true });
        let text = err.to_string();
        assert!(text.contains("did not answer WRITE at 0x10002000 within 10 s") && text.contains("retry"), "{text}");
    });
}

#[test]
fn a_stuck_erase_times_out_after_its_acknowledgement_wait_and_leaves_no_abort_behind() {
    let (_, uf2) = firmware();
    let mut device = FakeBootrom::new();
    device.inject(Fault::Hang { id: 0x03, nth: 1 });
    let (device, result, _) = flash(device, &uf2);
    let addr = Some(FLASH_BASE + SECTOR_LEN);
    assert_eq!(result, Err(FlashError::TimedOut { command: "FLASH_ERASE", addr, ms: DATA_MS, recovered: true }));
    // The recovery: clear halts, IF_RESET (which, mid-command, aborted the stuck erase and armed the latch), then
    // EXIT_XIP, which cleared it.
    assert_eq!(device.log.last(), Some(&Command::ExitXip));
    assert!(!device.flash_aborted);
    assert!(device.timeouts.borrow().ends_with(&[DATA_MS, CONTROL_MS, CONTROL_MS, COMMAND_MS, DATA_MS]));
}

#[test]
fn a_stuck_read_times_out_in_its_data_phase() {
    fault_then_retry(Fault::Hang { id: 0x84, nth: 0 }, |err| {
        let addr = Some(FLASH_BASE + SECTOR_LEN);
        assert_eq!(*err, FlashError::TimedOut { command: "READ", addr, ms: DATA_MS, recovered: true });
    });
}

#[test]
fn a_disconnect_mid_flash_is_recoverable() {
    // Command 10 = the second sector's ERASE (after its EXIT_XIP): the first non-boot sector is done.
    fault_then_retry(Fault::Disconnect { nth: 10 }, |err| {
        assert_eq!(*err, FlashError::Disconnected { command: "FLASH_ERASE", done: SECTOR_LEN, total: 4 * SECTOR_LEN });
        assert!(err.to_string().contains("ROM bootloader is intact"), "{err}");
    });
}

#[test]
fn a_vanished_device_stays_an_error_until_replugged() {
    let (_, uf2) = firmware();
    let mut device = FakeBootrom::new();
    device.inject(Fault::Disconnect { nth: 3 });
    let (device, result, _) = flash(device, &uf2);
    assert!(matches!(result, Err(FlashError::Disconnected { .. })));
    let (_, again, _) = flash(device, &uf2);
    assert_eq!(again, Err(FlashError::Disconnected { command: "interface reset", done: 0, total: 4 * SECTOR_LEN }));
}

#[test]
fn vanishing_at_the_reboot_is_success() {
    let (_, uf2) = firmware();
    let mut device = FakeBootrom::new();
    // 3 setup commands (EXCLUSIVE_ACCESS, EXIT_XIP, boot ERASE) + 6 per non-boot sector + EXIT_XIP, WRITE,
    // EXIT_XIP, READ of the boot sector, then REBOOT2.
    device.inject(Fault::Disconnect { nth: 3 + 3 * 6 + 4 });
    let (device, result, _) = flash(device, &uf2);
    result.unwrap();
    assert!(!matches!(device.log.last(), Some(Command::Reboot2 { .. })));
    assert_holds_exactly(&device, &uf2);
}

#[test]
fn cancel_stops_between_sectors_and_retries() {
    let (_, uf2) = firmware();
    let mut flasher = Flasher::new(FakeBootrom::new());
    let mut calls = 0;
    let result = block_on(flasher.flash(&uf2, |_| {
        calls += 1;
        if calls == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }));
    assert_eq!(result, Err(FlashError::Cancelled { done: 2 * SECTOR_LEN, total: 4 * SECTOR_LEN }));
    let mut device = flasher.into_transport();
    assert!(!device.rebooted);
    // Cancelled after a whole sector: the last command is that sector's READ, never a half-done sector.
    assert_eq!(device.log.last(), Some(&Command::Read { addr: FLASH_BASE + 2 * SECTOR_LEN, size: SECTOR_LEN }));
    assert!(device.at(FLASH_BASE, SECTOR_LEN as usize).iter().all(|&b| b == 0xFF));
    device.reconnect();
    let (device, result, _) = flash(device, &uf2);
    result.unwrap();
    assert_holds_exactly(&device, &uf2);
}

#[test]
fn wrong_family_is_refused_before_any_command() {
    let image = vec![0x42; 5000];
    let rp2040 = uf2::write(FLASH_BASE, &image, family::RP2040).unwrap();
    let mut flasher = Flasher::new(FakeBootrom::new());
    let err = block_on(flasher.flash_file(&rp2040, |_| ControlFlow::Continue(()))).unwrap_err();
    assert_eq!(err, FlashError::Uf2(uf2::Uf2Error::WrongFamily { block: 0, found: family::RP2040 }));
    assert!(err.to_string().contains("RP2040"), "{err}");
    let truncated = uf2::write(FLASH_BASE, &image, family::RP2350_ARM_S).unwrap();
    let err = block_on(flasher.flash_file(&truncated[..1000], |_| ControlFlow::Continue(()))).unwrap_err();
    assert!(matches!(err, FlashError::Uf2(uf2::Uf2Error::Truncated { len: 1000 })));
    let device = flasher.into_transport();
    assert!(device.log.is_empty(), "nothing may reach the device: {:?}", device.log);
    assert_eq!(device.flash, FakeBootrom::new().flash);
}

#[test]
fn a_different_chip_is_refused_before_any_command() {
    let (file, _) = firmware();
    let mut device = FakeBootrom::new();
    device.product_id = picoboot::RP2040_PRODUCT_ID;
    let mut flasher = Flasher::new(device);
    let err = block_on(flasher.flash_file(&file, |_| ControlFlow::Continue(()))).unwrap_err();
    assert_eq!(err, FlashError::WrongChip { product_id: picoboot::RP2040_PRODUCT_ID });
    assert!(err.to_string().contains("RP2040 (Pico 1)"), "{err}");
    let mut device = flasher.into_transport();
    assert!(device.log.is_empty());
    // The right board plugged in instead: the same file flashes.
    device.product_id = picoboot::RP2350_PRODUCT_ID;
    let (device, result, _) = flash(device, &Uf2::parse(&file).unwrap());
    result.unwrap();
    assert!(device.rebooted);
}

#[test]
fn a_protected_range_is_never_erased() {
    let (_, uf2) = firmware();
    let settings = FLASH_BASE + 0x10_0000..FLASH_BASE + 0x10_2000;
    let mut flasher = Flasher::new(FakeBootrom::new()).protect(settings.clone());
    let err = block_on(flasher.flash(&uf2, |_| ControlFlow::Continue(()))).unwrap_err();
    assert_eq!(err, FlashError::WouldErase { protected: settings, image: uf2.erase_range() });
    assert!(flasher.into_transport().log.is_empty());
    // A range just past the image is fine.
    let after = uf2.erase_range().end..uf2.erase_range().end + SECTOR_LEN;
    let mut flasher = Flasher::new(FakeBootrom::new()).protect(after);
    block_on(flasher.flash(&uf2, |_| ControlFlow::Continue(()))).unwrap();
}
