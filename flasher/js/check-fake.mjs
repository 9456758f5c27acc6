// Runs the real Rust flasher (examples/js_bridge.rs, built for wasm32) against the dashboard's JS fake bootrom
// (web/sim/fake-picoboot.js): the same scenarios as tests/flash.rs, so the fake the browser tests rely on behaves
// like the Rust one. Then checks the fake's USBDevice surface the way WebUSB callers use it.
//
//   node flasher/js/check-fake.mjs path/to/js_bridge.wasm
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'node:test';
import vm from 'node:vm';

const fakePath = fileURLToPath(new URL('../../web/sim/fake-picoboot.js', import.meta.url));
vm.runInThisContext(readFileSync(fakePath, 'utf8'), { filename: fakePath }); // as a page's classic script would
const { FakePicoboot, createDevice, Status, CMD, FLASH_BASE, FLASH_LEN, SECTOR, DISABLE_MSD } = globalThis.StapesFakePicoboot;

const wasmPath = process.argv[2];
if (!wasmPath) throw new Error('usage: node check-fake.mjs js_bridge.wasm');

const RP2350_ARM_S = 0xe48bff59;
const RP2040 = 0xe48bff56;
const enc = new TextDecoder();

/** The bridge, wired to whichever fake `state.boot` is and to the progress answer `state.onProgress`. */
const state = { boot: null, onProgress: () => 0 };
let memory;
const bytes = (ptr, len) => new Uint8Array(memory.buffer, ptr, len);
const code = (r) => ({ ok: 0, stall: -1, disconnected: -2, hang: -3 })[r];
const inCode = (r, ptr, cap) => {
  if (r.status !== 'ok') return code(r.status);
  assert.ok(r.data.length <= cap);
  bytes(ptr, r.data.length).set(r.data);
  return r.data.length;
};
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
  fake: {
    product_id: () => state.boot.productId,
    bulk_out: (ptr, len) => code(state.boot.out(bytes(ptr, len).slice())),
    bulk_in: (ptr, cap) => inCode(state.boot.in(cap), ptr, cap),
    control_out: (request) => code(state.boot.controlOut(request)),
    control_in: (request, ptr, cap) => inCode(state.boot.controlIn(request, cap), ptr, cap),
    clear_halt: () => code(state.boot.clearHalt()),
    sleep: (ms) => state.boot.timeouts.push(ms),
    progress: (done, total) => state.onProgress(done, total),
  },
});
const wasm = instance.exports;
memory = wasm.memory;

function toWasm(data) {
  const ptr = wasm.alloc(data.length);
  bytes(ptr, data.length).set(data);
  return ptr;
}

function writeUf2(image, base, family) {
  const len = wasm.write_uf2(toWasm(image), image.length, base, family);
  return bytes(wasm.out_ptr(), len).slice();
}

/** Flashes `file` onto `boot`; returns null on success or the error text (Debug, newline, Display). */
function flash(boot, file, { protect = [0, 0], onProgress = () => 0 } = {}) {
  state.boot = boot;
  state.onProgress = onProgress;
  const len = wasm.flash(toWasm(file), file.length, protect[0], protect[1]);
  return len === 0 ? null : enc.decode(bytes(wasm.out_ptr(), len));
}

const image = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 13 + Math.floor(i / 97)) & 0xff);
const firmware = writeUf2(image, FLASH_BASE, RP2350_ARM_S);
const blank = new FakePicoboot().flash;

/** Every flash byte: the image, 0xFF to the end of its last sector, the old contents beyond. */
function assertHoldsExactly(boot) {
  const sectors = Math.ceil(image.length / SECTOR);
  const expected = blank.slice();
  expected.fill(0xff, 0, sectors * SECTOR);
  expected.set(image, 0);
  assert.equal(boot.flash.length, FLASH_LEN);
  const i = expected.findIndex((b, k) => boot.flash[k] !== b);
  assert.equal(i, -1, `flash differs at 0x${(FLASH_BASE + i).toString(16)}`);
}

test('the UF2 lands exactly, boot sector last, then REBOOT2', () => {
  assert.equal(firmware.length, 40 * 512); // 40 pages and nothing else (no RP2350-E10 block)
  const boot = new FakePicoboot();
  const seen = [];
  let reboots = 0;
  boot.onreboot = () => reboots++;
  assert.equal(flash(boot, firmware, { onProgress: (done, total) => (seen.push([done, total]), 0) }), null);
  assertHoldsExactly(boot);
  assert.equal(boot.mismatch(firmware), null);
  assert.equal(new FakePicoboot().mismatch(firmware), FLASH_BASE);
  assert.ok(boot.rebooted && boot.disconnected);
  assert.equal(reboots, 1);
  assert.equal(boot.exclusive, 2);
  assert.deepEqual(seen, [[4096, 12288], [8192, 12288], [12288, 12288]]);
  const ids = boot.log.map((c) => c.id);
  assert.deepEqual(ids.slice(0, 3), [CMD.EXCLUSIVE_ACCESS, CMD.EXIT_XIP, CMD.FLASH_ERASE]);
  assert.equal(boot.log[2].addr, FLASH_BASE);
  assert.deepEqual(boot.log.at(-4), { id: CMD.WRITE, token: boot.log.at(-4).token, addr: FLASH_BASE, size: SECTOR });
  assert.equal(boot.log.at(-1).id, CMD.REBOOT2);
  assert.equal(ids.filter((id) => id === CMD.FLASH_ERASE).length, 3);
  // Every flash command right after an EXIT_XIP (which clears the latch the plug-in armed), and the host's OUT
  // acknowledgement is one byte, as picotool sends it.
  ids.forEach((id, k) => {
    if (id === CMD.FLASH_ERASE || id === CMD.WRITE || id === CMD.READ) assert.equal(ids[k - 1], CMD.EXIT_XIP, `command ${k}`);
  });
  assert.equal(boot.flashAborted, false);
  assert.deepEqual(boot.acksOut, [1, 1, 1]);
  // picotool's timeouts: clear halts + IF_RESET 1 s; command 3 s; data 10 s; ack 10 s without data, 3 s after it.
  assert.deepEqual(boot.timeouts.slice(0, 8), [1000, 1000, 3000, 10000, 3000, 10000, 3000, 10000]);
  const write = ids.indexOf(CMD.WRITE);
  const before = boot.log.slice(0, write).reduce((n, c) => n + (c.id === CMD.WRITE || c.id === CMD.READ ? 3 : 2), 2);
  assert.deepEqual(boot.timeouts.slice(before, before + 3), [3000, 10000, 3000]);
});

test('a fresh A2 ROM ignores flash commands until EXIT_XIP: a client without it fails', () => {
  const boot = new FakePicoboot();
  assert.equal(boot.flashAborted, true, 'plugging in configures the device, which arms the abort');
  const block = (id, token, a0 = 0, a1 = 0) => {
    const b = new Uint8Array(32);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x431fd10b, true);
    v.setUint32(4, token, true);
    b[8] = id;
    b[9] = { 0x03: 8, 0x05: 8, 0x84: 8, 0x06: 0 }[id];
    if (id === CMD.WRITE || id === CMD.READ) v.setUint32(12, a1, true);
    v.setUint32(16, a0, true);
    v.setUint32(20, a1, true);
    return b;
  };
  const addr = FLASH_BASE + SECTOR;
  const old = boot.payload(addr, 256);
  assert.equal(boot.out(block(CMD.FLASH_ERASE, 1, addr, SECTOR)), 'ok');
  assert.equal(boot.in(1).status, 'ok');
  assert.equal(boot.out(block(CMD.WRITE, 2, addr, 256)), 'ok');
  assert.equal(boot.out(new Uint8Array(256).fill(0x11)), 'ok');
  assert.equal(boot.in(1).status, 'ok');
  assert.deepEqual(boot.payload(addr, 256), old, 'erase and write succeed yet change nothing');
  assert.equal(boot.out(block(CMD.READ, 3, addr, 256)), 'ok');
  assert.deepEqual(boot.in(256).data, new Uint8Array(256), 'a read sees zeros');
  assert.equal(boot.out(new Uint8Array(1)), 'ok');
  assert.equal(boot.out(block(CMD.EXIT_XIP, 4)), 'ok');
  assert.equal(boot.in(1).status, 'ok');
  assert.equal(boot.flashAborted, false);
  // An interface reset during a command (a READ's data phase) arms it again; between commands it does not.
  assert.equal(boot.controlOut(0x41), 'ok');
  assert.equal(boot.flashAborted, false);
  assert.equal(boot.out(block(CMD.READ, 5, addr, 256)), 'ok');
  assert.equal(boot.controlOut(0x41), 'ok');
  assert.equal(boot.flashAborted, true);
  // A flash READ off a 256-byte page is refused.
  boot.out(block(CMD.EXIT_XIP, 6));
  boot.in(1);
  assert.equal(boot.out(block(CMD.READ, 7, addr + 0x80, 256)), 'ok');
  assert.equal(boot.in(256).status, 'stall');
  assert.equal(new DataView(boot.controlIn(0x42, 16).data.buffer).getUint32(4, true), Status.BAD_ALIGNMENT);
});

const faults = [
  [{ kind: 'stall', id: CMD.FLASH_ERASE, nth: 2, status: Status.NOT_PERMITTED }, ['Rejected { command: "FLASH_ERASE", addr: Some(268443648), status: Status(10) }', 'NOT_PERMITTED']],
  [{ kind: 'stall', id: CMD.WRITE, nth: 1, status: Status.UNKNOWN_ERROR }, ['Rejected { command: "WRITE", addr: Some(268443648), status: Status(8) }', 'UNKNOWN_ERROR']],
  [{ kind: 'stall', id: CMD.READ, nth: 0, status: Status.OK }, ['Stalled { command: "READ", addr: Some(268439552) }']],
  [{ kind: 'corruptWrite', nth: 0 }, ['VerifyMismatch { addr: 268439652 }', '0x10001064']],
  // Command 10: the second sector's FLASH_ERASE (after its EXIT_XIP).
  [{ kind: 'disconnect', nth: 10 }, ['Disconnected { command: "FLASH_ERASE", done: 4096, total: 12288 }', 'ROM bootloader is intact']],
  [{ kind: 'hang', id: CMD.WRITE, nth: 1 }, ['TimedOut { command: "WRITE", addr: Some(268443648), ms: 10000, recovered: true }', 'within 10 s']],
  [{ kind: 'hang', id: CMD.FLASH_ERASE, nth: 1 }, ['TimedOut { command: "FLASH_ERASE", addr: Some(268439552), ms: 10000, recovered: true }']],
];
for (const [fault, expected] of faults) {
  test(`fault ${JSON.stringify(fault)} gives the right error and a retry succeeds`, () => {
    const boot = new FakePicoboot();
    let gone = 0;
    boot.ondisconnect = () => gone++;
    boot.inject(fault);
    const err = flash(boot, firmware);
    for (const text of expected) assert.ok(err && err.includes(text), `${err} lacks ${text}`);
    assert.ok(!boot.rebooted);
    assert.ok(boot.payload(FLASH_BASE, SECTOR).every((b) => b === 0xff), 'boot sector left blank');
    if (fault.kind === 'hang') {
      // Recovered: the reset aborted the stuck operation (arming the latch), EXIT_XIP cleared it.
      assert.equal(boot.log.at(-1).id, CMD.EXIT_XIP);
      assert.equal(boot.flashAborted, false);
    }
    if (fault.kind === 'disconnect') {
      assert.equal(gone, 1);
      assert.match(flash(boot, firmware), /Disconnected \{ command: "interface reset"/);
      boot.reconnect();
    }
    assert.equal(flash(boot, firmware), null);
    assertHoldsExactly(boot);
    assert.ok(boot.rebooted);
  });
}

test('cancel stops between sectors and a retry finishes', () => {
  const boot = new FakePicoboot();
  let calls = 0;
  const err = flash(boot, firmware, { onProgress: () => (++calls === 1 ? 1 : 0) });
  assert.match(err, /^Cancelled \{ done: 4096, total: 12288 \}/);
  assert.equal(boot.log.at(-1).id, CMD.READ);
  assert.equal(flash(boot, firmware), null);
  assertHoldsExactly(boot);
});

test('a wrong family or truncated file is refused before any command', () => {
  const boot = new FakePicoboot();
  const err = flash(boot, writeUf2(image, FLASH_BASE, RP2040));
  assert.match(err, /WrongFamily \{ block: 0, found: 3834380118 \}/);
  assert.match(err, /RP2040/);
  assert.match(flash(boot, firmware.slice(0, 1000)), /Truncated \{ len: 1000 \}/);
  assert.deepEqual(boot.log, []);
  assert.deepEqual(boot.flash, blank);
});

test('a different chip is refused before any command', () => {
  const boot = new FakePicoboot({ productId: 0x0003 });
  assert.match(flash(boot, firmware), /WrongChip \{ product_id: 3 \}\n.*RP2040 \(Pico 1\)/);
  assert.deepEqual(boot.log, []);
  assert.equal(createDevice(boot).productId, 0x0003);
});

test('the settings range is never erased', () => {
  const boot = new FakePicoboot();
  const err = flash(boot, firmware, { protect: [FLASH_BASE + 0x2000, FLASH_BASE + 0x3000] });
  assert.match(err, /WouldErase/);
  assert.deepEqual(boot.log, []);
});

test('the USBDevice surface behaves like WebUSB', async () => {
  const boot = new FakePicoboot();
  const dev = createDevice(boot);
  assert.equal(dev.vendorId, 0x2e8a);
  assert.equal(dev.productId, 0x000f);
  await assert.rejects(dev.claimInterface(1), { name: 'InvalidStateError' });
  await dev.open();
  assert.equal(dev.configuration, null);
  await dev.selectConfiguration(1);
  const vendor = dev.configuration.interfaces.find((i) => i.alternate.interfaceClass === 0xff);
  assert.equal(vendor.interfaceNumber, 1);
  const epIn = vendor.alternate.endpoints.find((e) => e.direction === 'in').endpointNumber;
  const epOut = vendor.alternate.endpoints.find((e) => e.direction === 'out').endpointNumber;
  await assert.rejects(dev.claimInterface(0), { name: 'SecurityError' }); // mass storage is a protected class
  await assert.rejects(dev.transferOut(epOut, new Uint8Array(32)), { name: 'NotFoundError' }); // not claimed
  await dev.claimInterface(1);
  const setup = (request) => ({ requestType: 'vendor', recipient: 'interface', request, value: 0, index: 1 });
  assert.equal((await dev.controlTransferOut(setup(0x41))).status, 'ok');
  const exit = new Uint8Array(32);
  new DataView(exit.buffer).setUint32(0, 0x431fd10b, true);
  exit[8] = CMD.EXIT_XIP;
  assert.equal((await dev.transferOut(epOut, exit)).status, 'ok');
  assert.equal((await dev.transferIn(epIn, 1)).data.byteLength, 0);
  // transferOut copies at once: changing the caller's buffer afterwards (wasm memory moving on) changes nothing.
  const block = new Uint8Array(32);
  const v = new DataView(block.buffer);
  v.setUint32(0, 0x431fd10b, true);
  v.setUint32(4, 77, true);
  block.set([CMD.READ, 8], 8);
  v.setUint32(12, 256, true);
  v.setUint32(16, FLASH_BASE, true);
  v.setUint32(20, 256, true);
  const sent = dev.transferOut(epOut, block);
  block.fill(0);
  assert.deepEqual(await sent, { status: 'ok', bytesWritten: 32 });
  const read = await dev.transferIn(epIn, 256);
  assert.equal(read.status, 'ok');
  assert.ok(read.data instanceof DataView);
  assert.deepEqual(new Uint8Array(read.data.buffer, read.data.byteOffset, read.data.byteLength), blank.slice(0, 256));
  assert.equal((await dev.transferOut(epOut, new Uint8Array(1))).status, 'ok'); // the host's acknowledgement
  // A stray IN stalls; CMD_STATUS (asked for exactly 16 bytes, as the ROM requires) tells why.
  assert.equal((await dev.transferIn(epIn, 64)).status, 'stall');
  assert.equal((await dev.controlTransferIn(setup(0x42), 64)).status, 'stall');
  const status = await dev.controlTransferIn(setup(0x42), 16);
  assert.equal(status.data.getUint32(0, true), 77);
  assert.equal(status.data.getUint32(4, true), Status.INVALID_STATE);
  assert.equal((await dev.transferIn(epIn, 64)).status, 'stall');
  // Clearing the halts alone un-stalls the endpoints (CLEAR_FEATURE(ENDPOINT_HALT) resets them in the ROM).
  await dev.clearHalt('in', epIn);
  await dev.clearHalt('out', epOut);
  assert.equal((await dev.transferOut(epOut, exit)).status, 'ok');
  assert.equal((await dev.transferIn(epIn, 1)).status, 'ok');
  // A transfer the device never answers stays pending.
  boot.inject({ kind: 'hang', id: CMD.EXIT_XIP, nth: 2 });
  assert.equal((await dev.transferOut(epOut, exit)).status, 'ok');
  const hung = await Promise.race([dev.transferIn(epIn, 1), new Promise((r) => setTimeout(() => r('pending'), 20))]);
  assert.equal(hung, 'pending');
  await dev.controlTransferOut(setup(0x41));
  // Unplugged: every call rejects the way Chromium's does.
  boot.vanish();
  await assert.rejects(dev.transferIn(epIn, 64), { name: 'NotFoundError', message: 'The device was disconnected.' });
  await dev.close();
  assert.equal(dev.opened, false);
});

test('after the node reboots into BOOTSEL (drive disabled) PICOBOOT is interface 0, alone', async () => {
  const boot = new FakePicoboot({ bootselFlags: DISABLE_MSD });
  const dev = createDevice(boot);
  await dev.open();
  await dev.selectConfiguration(1);
  const interfaces = dev.configuration.interfaces;
  assert.equal(interfaces.length, 1, 'no mass-storage interface');
  assert.equal(interfaces[0].interfaceNumber, 0);
  assert.equal(interfaces[0].alternate.interfaceClass, 0xff);
  assert.deepEqual(interfaces[0].alternate.endpoints.map((e) => [e.direction, e.endpointNumber]), [['in', 4], ['out', 3]]);
  await assert.rejects(dev.claimInterface(1), { name: 'NotFoundError' });
  await dev.claimInterface(0);
  const setup = (index) => ({ requestType: 'vendor', recipient: 'interface', request: 0x41, value: 0, index });
  assert.equal((await dev.controlTransferOut(setup(1))).status, 'stall');
  assert.equal((await dev.controlTransferOut(setup(0))).status, 'ok');
  // The real flasher flashes through it.
  assert.equal(flash(boot, firmware), null);
  assertHoldsExactly(boot);
});
