//! Power cuts during a settings update: at every byte the update writes or erases, across map histories that make
//! the update land anywhere in a page (including the page erase and item migration when the map is full). After
//! each cut the node reboots with the old settings or the new ones — never defaults, never garbage — and works.

mod common;

use common::*;
use std::ops::Range;

use embassy_futures::block_on;
use stapes_core::preset;
use stapes_node::protocol::{InfoEp, NodeSettings, SettingsGet, SettingsOrigin, SettingsReset, SettingsSet, WireError};
use stapes_node::{Memory, Node, SECTOR, settings};

fn settings_with_gain(gain: f32) -> NodeSettings {
    NodeSettings { gain, ..settings::defaults() }
}

/// Boots on `flash` and returns the settings and where they came from.
fn boot_and_read(memory: &mut Memory, flash: &mut Flash, clock: &TestClock) -> (NodeSettings, SettingsOrigin) {
    boot_and_read_in(memory, flash, RANGE, clock)
}

fn boot_and_read_in(
    memory: &mut Memory,
    flash: &mut Flash,
    range: Range<u32>,
    clock: &TestClock,
) -> (NodeSettings, SettingsOrigin) {
    let mut node = block_on(Node::boot(memory, flash, range, clock, IDENTITY));
    let mut got = None;
    ok::<SettingsGet>(&mut node, &(), |s| got = Some(s));
    let mut origin = None;
    ok::<InfoEp>(&mut node, &(), |i| origin = Some(i.settings_origin));
    (got.unwrap(), origin.unwrap())
}

/// Boots on `flash` and sets `s`; the node's answer.
fn set(memory: &mut Memory, flash: &mut Flash, range: Range<u32>, clock: &TestClock, s: &NodeSettings) -> bool {
    let mut node = block_on(Node::boot(memory, flash, range, clock, IDENTITY));
    let (msg, _) = call::<SettingsSet>(&mut node, 1, s);
    match answer::<SettingsSet>(&msg, 1) {
        Ok(_) => true,
        Err(WireError::Storage(_)) => false,
        Err(e) => panic!("{e:?}"),
    }
}

/// Bytes that an operation turned back to 0xFF: an erase ran (or was cut part-way).
fn erased_bytes(before: &Flash, after: &Flash) -> usize {
    before.bytes().iter().zip(after.bytes()).filter(|&(&b, &a)| b != 0xff && a == 0xff).count()
}

#[test]
fn every_cut_point_of_a_settings_update_leaves_old_or_new_settings() {
    // The smallest map sequential-storage allows (two sectors) so that updates erase and migrate a page often.
    let range = 0..2 * SECTOR as u32;
    let mut memory = Box::new(Memory::new());
    let clock = TestClock::default();
    let mut new = settings::defaults();
    new.config = preset("kaldi-mfcc").unwrap();
    let after = settings_with_gain(3.0);

    let (mut cut_points, mut old_seen, mut new_seen, mut in_erase) = (0usize, 0usize, 0usize, 0usize);
    let mut base = Flash::new();
    for history in 1..=70u16 {
        // The map's history: `history` earlier updates, the last of them the old settings.
        let old = settings_with_gain(1.0 + f32::from(history) / 64.0);
        assert!(set(&mut memory, &mut base, range.clone(), &clock, &old));
        let mut probe = base.clone();
        assert!(set(&mut memory, &mut probe, range.clone(), &clock, &new));
        // Every byte of every third update; every 7th byte (all offsets mod 4) of those that erase a page.
        let stride = match (erased_bytes(&base, &probe) > 0, history % 3) {
            (true, _) => 7,
            (false, 0) => 1,
            (false, _) => continue,
        };
        for cut in (0..).step_by(stride) {
            let mut flash = base.clone();
            flash.cut_after(Some(cut));
            let done = set(&mut memory, &mut flash, range.clone(), &clock, &new);
            assert_eq!(done, !flash.was_cut(), "history {history}, cut {cut}: success means no cut");
            if done {
                break;
            }
            cut_points += 1;
            in_erase += usize::from(erased_bytes(&base, &flash) > 0);
            flash.restore_power();
            let (got, origin) = boot_and_read_in(&mut memory, &mut flash, range.clone(), &clock);
            assert_eq!(origin, SettingsOrigin::Stored, "history {history}, cut {cut}");
            if got == old {
                old_seen += 1;
            } else {
                assert_eq!(got, new, "history {history}, cut {cut}: neither old nor new settings");
                new_seen += 1;
            }
            // And the node still works: a further update persists (checked at every 8th cut, for time).
            if cut_points % 8 == 0 {
                assert!(set(&mut memory, &mut flash, range.clone(), &clock, &after));
                let read = boot_and_read_in(&mut memory, &mut flash, range.clone(), &clock);
                assert_eq!(read, (after.clone(), SettingsOrigin::Stored));
            }
        }
    }
    println!(
        "{cut_points} cut points: {old_seen} kept the old settings, {new_seen} the new; {in_erase} during or after a page erase"
    );
    assert!(cut_points >= 2500, "{cut_points} cut points");
    assert!(old_seen > 0 && new_seen > 0 && in_erase > 0);
}

#[test]
fn corrupt_or_foreign_flash_boots_with_defaults_and_says_why() {
    let mut memory = Box::new(Memory::new());
    let clock = TestClock::default();
    let mut flash = Flash::new();
    assert_eq!(boot_and_read(&mut memory, &mut flash, &clock), (settings::defaults(), SettingsOrigin::Defaults));
    {
        let mut node = block_on(Node::boot(&mut memory, &mut flash, RANGE, &clock, IDENTITY));
        ok::<SettingsSet>(&mut node, &settings_with_gain(2.0), |_| {});
    }
    // Random garbage over the whole range.
    let mut garbage = flash.clone();
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for b in garbage.bytes_mut() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        *b = s as u8;
    }
    let (got, origin) = boot_and_read(&mut memory, &mut garbage, &clock);
    assert_eq!(got, settings::defaults());
    // sequential-storage reads most of it as pages without items; the node still says the flash held something.
    assert_eq!(origin, SettingsOrigin::ResetCorrupt);
    // The erased store works again.
    {
        let mut node = block_on(Node::boot(&mut memory, &mut garbage, RANGE, &clock, IDENTITY));
        ok::<SettingsSet>(&mut node, &settings_with_gain(4.0), |_| {});
    }
    assert_eq!(boot_and_read(&mut memory, &mut garbage, &clock), (settings_with_gain(4.0), SettingsOrigin::Stored));

    // Every single-byte corruption of the stored item: old settings (a CRC catches it) or defaults with a reason.
    let used = flash.bytes().iter().rposition(|&b| b != 0xff).unwrap() + 1;
    for at in 0..used {
        let mut f = flash.clone();
        f.bytes_mut()[at] ^= 0x5a;
        let (got, origin) = boot_and_read(&mut memory, &mut f, &clock);
        match origin {
            SettingsOrigin::Stored => assert_eq!(got, settings_with_gain(2.0), "byte {at}"),
            SettingsOrigin::Defaults | SettingsOrigin::ResetCorrupt => assert_eq!(got, settings::defaults()),
            other => panic!("byte {at}: {other:?}"),
        }
    }
}

/// Writes a raw settings record the way the node does (map key 1: schema version, then postcard settings).
fn store_record(flash: &mut Flash, version: u32, settings: &NodeSettings) {
    use sequential_storage::cache::Cache;
    use sequential_storage::map::{MapConfig, MapStorage};
    let mut record = [0u8; 256];
    record[..4].copy_from_slice(&version.to_le_bytes());
    let len = 4 + postcard::to_slice(settings, &mut record[4..]).unwrap().len();
    let mut map = MapStorage::<u8, _, _>::new(flash, MapConfig::new(RANGE), Cache::new_uncached());
    block_on(map.store_item(&mut [0u8; 512], &1u8, &&record[..len])).unwrap();
}

#[test]
fn another_schema_version_or_refused_settings_give_defaults_with_the_reason() {
    let mut memory = Box::new(Memory::new());
    let clock = TestClock::default();
    let current = stapes_node::protocol::SCHEMA_VERSION;

    let mut flash = Flash::new();
    store_record(&mut flash, current + 1, &settings_with_gain(2.0));
    let read = boot_and_read(&mut memory, &mut flash, &clock);
    assert_eq!(read, (settings::defaults(), SettingsOrigin::ResetUnknownVersion));

    let mut flash = Flash::new();
    store_record(&mut flash, current, &settings_with_gain(-1.0));
    let read = boot_and_read(&mut memory, &mut flash, &clock);
    assert_eq!(read, (settings::defaults(), SettingsOrigin::ResetInvalid));

    let mut flash = Flash::new();
    store_record(&mut flash, current, &settings_with_gain(2.0));
    assert_eq!(boot_and_read(&mut memory, &mut flash, &clock), (settings_with_gain(2.0), SettingsOrigin::Stored));
}

/// Boots on `flash` and resets the settings to the defaults; the node's answer.
fn reset(memory: &mut Memory, flash: &mut Flash, range: Range<u32>, clock: &TestClock) -> bool {
    let mut node = block_on(Node::boot(memory, flash, range, clock, IDENTITY));
    let (msg, _) = call::<SettingsReset>(&mut node, 1, &());
    match answer::<SettingsReset>(&msg, 1) {
        Ok(_) => true,
        Err(WireError::Storage(_)) => false,
        Err(e) => panic!("{e:?}"),
    }
}

/// After power comes back: the settings are `old` or `new`, read from flash (`info` says `Stored`).
fn old_or_new(
    memory: &mut Memory,
    flash: &mut Flash,
    range: Range<u32>,
    clock: &TestClock,
    old: &NodeSettings,
    new: &NodeSettings,
    what: &str,
) -> bool {
    let (got, origin) = boot_and_read_in(memory, flash, range, clock);
    assert_eq!(origin, SettingsOrigin::Stored, "{what}");
    assert!(got == *old || got == *new, "{what}: neither the old nor the new settings");
    got == *new
}

/// Cuts during `settings/reset`, and during the recovery from an earlier cut (two cuts in a row: the write after a
/// cut repairs the half-written page, a boot does not): after each, once power is back, the node boots with the old
/// or the new settings, read from flash (`info` says `Stored`), never garbage and never the defaults of an empty
/// store. With the update test above, more than 10,000 cut points.
#[test]
fn cuts_during_a_reset_and_during_the_repair_after_a_cut_leave_old_or_new_settings() {
    let range = 0..2 * SECTOR as u32;
    let mut memory = Box::new(Memory::new());
    let clock = TestClock::default();
    let defaults = settings::defaults();
    let mut new = settings::defaults();
    new.config = preset("kaldi-mfcc").unwrap();
    let after = settings_with_gain(3.0);

    let (mut reset_cuts, mut repair_cuts, mut repairs, mut reset_new) = (0usize, 0usize, 0usize, 0usize);
    let mut base = Flash::new();
    for history in 1..=60u16 {
        let old = settings_with_gain(1.0 + f32::from(history) / 64.0);
        assert!(set(&mut memory, &mut base, range.clone(), &clock, &old));
        if history % 2 != 0 {
            continue;
        }

        // A reset cut at every byte it writes or erases (every 11th where it erases a page).
        let mut probe = base.clone();
        assert!(reset(&mut memory, &mut probe, range.clone(), &clock));
        let stride = if erased_bytes(&base, &probe) > 0 { 11 } else { 1 };
        for cut in (0..).step_by(stride) {
            let mut flash = base.clone();
            flash.cut_after(Some(cut));
            if reset(&mut memory, &mut flash, range.clone(), &clock) {
                assert!(!flash.was_cut());
                break;
            }
            reset_cuts += 1;
            flash.restore_power();
            let what = format!("history {history}, reset cut {cut}");
            reset_new +=
                usize::from(old_or_new(&mut memory, &mut flash, range.clone(), &clock, &old, &defaults, &what));
        }

        // Two cuts in a row: an update cut at every 5th byte, then the next update — whose first work is
        // sequential-storage's repair of the half-written page (a boot after a cut writes nothing) — cut at every
        // 2nd byte. After power comes back the settings are those the first cut left or the second update's.
        if history % 8 != 0 {
            continue;
        }
        for cut in (0..).step_by(5) {
            let mut cut_once = base.clone();
            cut_once.cut_after(Some(cut));
            if set(&mut memory, &mut cut_once, range.clone(), &clock, &new) {
                break;
            }
            cut_once.restore_power();
            let mut booted = cut_once.clone();
            let what = format!("history {history}, update cut {cut}");
            let left = if old_or_new(&mut memory, &mut booted, range.clone(), &clock, &old, &new, &what) {
                new.clone()
            } else {
                old.clone()
            };
            repairs += usize::from(booted.bytes() == cut_once.bytes());
            for second in (0..).step_by(2) {
                let mut flash = cut_once.clone();
                flash.cut_after(Some(second));
                if set(&mut memory, &mut flash, range.clone(), &clock, &after) {
                    break;
                }
                repair_cuts += 1;
                flash.restore_power();
                let what = format!("history {history}, update cut {cut}, second cut {second}");
                old_or_new(&mut memory, &mut flash, range.clone(), &clock, &left, &after, &what);
            }
        }
    }
    println!(
        "{reset_cuts} cuts during resets ({reset_new} left the defaults stored), {repair_cuts} second cuts after \
         {repairs} first cuts whose boot wrote nothing"
    );
    assert!(reset_cuts + repair_cuts >= 7_500, "{reset_cuts} + {repair_cuts} cut points");
    assert!(repairs > 0 && repair_cuts > 0);
}
