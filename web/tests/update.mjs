// End-to-end test of the firmware panel of the built dashboard (target/dist) in headless Chromium: the page's real
// WebUSB path and the flasher (wasm) against the fake RP2350 bootrom of web/sim/fake-picoboot.js, behind a fake
// `navigator.usb` installed before the page loads. Run by `cargo xtask test --only web`:
//   node web/tests/update.mjs <dist dir> <screenshot dir>
// with playwright-core from npm (PLAYWRIGHT_CORE) and Debian's /usr/bin/chromium.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { distAndShots, launch, serve } from "./harness.mjs";

const [dist, shots] = distAndShots("update.mjs");
const fakePicoboot = path.join(path.dirname(fileURLToPath(import.meta.url)), "../sim/fake-picoboot.js");
const { server, origin } = await serve(dist);

// A fake `navigator.usb` (before the page's script runs) whose only device is a Pico 2 in BOOTSEL mode that the
// test plugs in: `window.bootsel.plug({ productId, delayMs })`, `.replug()` (BOOTSEL held again after a fault),
// `.boot` (the FakePicoboot: flash, log, faults), `plug({ bootselFlags: DISABLE_MSD })` for the one-interface
// layout the ROM presents after the node's own reboot into BOOTSEL. Chromium keeps a permission granted by the chooser across replugs.
function installFakeUsb() {
  const { FakePicoboot, createDevice } = globalThis.StapesFakePicoboot;
  const usb = new EventTarget();
  let device = null;
  let granted = false;
  const fire = (type, dev) => {
    const event = new Event(type);
    Object.defineProperty(event, "device", { value: dev });
    usb.dispatchEvent(event);
  };
  const gone = () => {
    const dev = device;
    device = null;
    if (dev) fire("disconnect", dev);
  };
  const bootsel = {
    boot: null,
    delayMs: 0,
    requests: 0,
    plug({ productId = 0x000f, delayMs = 0, bootselFlags = 0, platform = 'linux', serialNumber } = {}) {
      bootsel.boot = new FakePicoboot({ productId, bootselFlags });
      bootsel.delayMs = delayMs;
      bootsel.platform = platform;
      bootsel.serialNumber = serialNumber;
      bootsel.replug();
    },
    replug() {
      gone();
      bootsel.boot.reconnect();
      bootsel.boot.ondisconnect = gone;
      device = createDevice(bootsel.boot, { delayMs: bootsel.delayMs, platform: bootsel.platform, serialNumber: bootsel.serialNumber });
      fire("connect", device);
    },
  };
  // A stapes node (the page's simulated one, adopted by the test): it restarts into the bootloader on request and
  // comes back after REBOOT2.
  let node = null;
  let nodeGranted = false;
  Object.assign(bootsel, {
    addNode(dev) {
      node = dev;
      fire("connect", dev);
    },
    async nodeToBootloader({ comesBack } = {}) {
      const dev = node;
      node = null;
      fire("disconnect", dev);
      await dev.close();
      // The node reboots into BOOTSEL with the drive disabled (firmware/rp2350/src/device/system.rs): the ROM comes
      // up with PICOBOOT alone, as interface 0.
      // The boot ROM names itself by the chip id, as the node does (firmware/rp2350/src/usb.rs serial_number).
      bootsel.plug({ bootselFlags: globalThis.StapesFakePicoboot.DISABLE_MSD, serialNumber: dev.serialNumber });
      granted = true; // allowed during an earlier update: no click needed
      // `comesBack`: another board (another serial) enumerates after REBOOT2 instead of this one.
      bootsel.boot.onreboot = () => bootsel.addNode(comesBack ?? dev);
    },
  });
  const isNode = (d) => d.vendorId === 0x1209 && d.productId === 0x0001;
  usb.getDevices = async () => [...(node && nodeGranted ? [node] : []), ...(device && granted ? [device] : [])];
  usb.requestDevice = async ({ filters }) => {
    bootsel.requests += 1;
    if (node && filters.some((f) => f.vendorId === 0x1209 && f.productId === 0x0001)) {
      nodeGranted = isNode(node);
      return node;
    }
    if (!device) throw new DOMException("No device selected.", "NotFoundError");
    granted = true;
    return device;
  };
  Object.defineProperty(Navigator.prototype, "usb", { get: () => usb, configurable: true });
  window.bootsel = bootsel;
}

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
await context.addInitScript({ path: fakePicoboot });
await context.addInitScript(installFakeUsb);
const page = await context.newPage();
page.setDefaultTimeout(15000);
const problems = [];
page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

let failures = 0;
async function check(name, body) {
  const start = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL ${name}: ${e.message}`);
    await page.screenshot({ path: path.join(shots, `fail-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
  }
}

const step = () => page.locator("#firmware-status").getAttribute("data-step");
const statusText = () => page.locator("#firmware-status").textContent();
const waitStep = (steps, timeout = 15000) =>
  page.waitForFunction((s) => s.includes(document.getElementById("firmware-status")?.dataset.step), steps, { timeout });
/** A fresh page with the bundled image loaded and a BOOTSEL board plugged in. */
async function freshPage(plug = {}) {
  await page.goto(origin + "/");
  await page.waitForFunction(() => document.getElementById("firmware-image")?.textContent.includes("stapes-node"));
  await page.evaluate((p) => window.bootsel.plug(p), plug);
}
/** Null if the fake flash holds every page of the bundled UF2, else the first differing address. */
const mismatch = () =>
  page.evaluate(async () => {
    const uf2 = new Uint8Array(await (await fetch("firmware/stapes-node.uf2")).arrayBuffer());
    return window.bootsel.boot.mismatch(uf2);
  });
/** Flash successfully (install or retry): verified, rebooted, the page waits for the node. */
async function flashedOk() {
  await waitStep(["waiting-for-node", "needs-node-permission"]);
  const at = await mismatch();
  if (at !== null) throw new Error(`fake flash differs from the UF2 at 0x${at.toString(16)}`);
  const last = await page.evaluate(() => window.bootsel.boot.log.at(-1));
  if (last.id !== 0x0a) throw new Error(`last command ${JSON.stringify(last)}, expected REBOOT2`);
}
/** The failure message, checked for `want` and for the retry advice. */
async function failedWith(want, label = "failed", advice = label === "failed") {
  await waitStep([label]);
  const message = await statusText();
  if (!want.test(message)) throw new Error(`message: ${message}`);
  if (advice && !/ROM bootloader is intact/.test(message)) throw new Error(`no recovery advice: ${message}`);
  const button = await page.locator("#firmware-install").textContent();
  if (!button.startsWith("Retry")) throw new Error(`no retry offered: ${button}`);
}

await check("the bundled firmware is listed with its manifest's version", async () => {
  await freshPage();
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, "firmware/stapes-node.json"), "utf8"));
  const image = await page.locator("#firmware-image").textContent();
  if (!image.includes(`stapes-node ${manifest.version} (${manifest.git_hash})`)) throw new Error(`image: ${image}`);
  console.log(`     ${image}`);
});

await check("first install: the bundled UF2 lands in flash exactly, settings untouched, progress shown", async () => {
  await freshPage({ delayMs: 2 });
  await page.locator("#firmware-install").click();
  await page.waitForFunction(() => document.getElementById("firmware-progress")?.value >= 8192);
  const text = await page.locator("#firmware-progress-text").textContent();
  if (!/^\d+\.\d of \d+\.\d KiB, \d+ s left$/.test(text)) throw new Error(`progress text: ${text}`);
  await page.locator("#firmware").screenshot({ path: path.join(shots, "firmware-flashing.png") });
  await flashedOk();
  const untouched = await page.evaluate(() => {
    const { FakePicoboot } = globalThis.StapesFakePicoboot;
    const settings = [0x103f0000, 0x10000];
    const now = window.bootsel.boot.payload(...settings);
    const before = new FakePicoboot().payload(...settings);
    return now.every((b, i) => b === before[i]);
  });
  if (!untouched) throw new Error("the settings sectors changed");
  const erased = await page.evaluate(() => window.bootsel.boot.log.filter((c) => c.id === 0x03).map((c) => c.addr));
  console.log(`     ${erased.length} sectors erased, written and verified; ${text} midway`);
  await waitStep(["needs-node-permission"]);
  await page.locator("#firmware").screenshot({ path: path.join(shots, "firmware-flashed.png") });
});

const faults = [
  ["a stall (erase refused)", { kind: "stall", id: 0x03, nth: 3, status: 10 }, /refused FLASH_ERASE at 0x1000[0-9a-f]{4}: NOT_PERMITTED/],
  ["a failed write", { kind: "stall", id: 0x05, nth: 5, status: 8 }, /refused WRITE at 0x1000[0-9a-f]{4}: UNKNOWN_ERROR/],
  ["a disconnect mid-flash", { kind: "disconnect", nth: 40 }, /disconnected during \S+ after \d+ of \d+ bytes/],
  // The WebUSB transport's own timer (setTimeout): the write never answers, the page gives up after picotool's 10 s.
  ["a write that never finishes", { kind: "hang", id: 0x05, nth: 2 }, /did not answer WRITE at 0x1000[0-9a-f]{4} within 10 s; the interface was reset/],
];
for (const [name, fault, want] of faults) {
  await check(`${name}: the right message, then a retry succeeds`, async () => {
    await freshPage();
    await page.evaluate((f) => window.bootsel.boot.inject(f), fault);
    await page.locator("#firmware-install").click();
    await failedWith(want);
    if (fault.kind === "disconnect") await page.evaluate(() => window.bootsel.replug());
    await page.locator("#firmware-install").click();
    await flashedOk();
  });
}

// Chrome on Windows rejects a stalled transfer with NetworkError, as if the board were unplugged (fake-picoboot.js
// `createDevice`): the board is still there and no `disconnect` comes, so the flasher must read the status.
await check("Windows: a refused erase (NetworkError, board still there) reads its status, then a retry succeeds", async () => {
  await freshPage({ platform: "windows" });
  await page.evaluate(() => window.bootsel.boot.inject({ kind: "stall", id: 0x03, nth: 3, status: 10 }));
  await page.locator("#firmware-install").click();
  await failedWith(/refused FLASH_ERASE at 0x1000[0-9a-f]{4}: NOT_PERMITTED/);
  await page.locator("#firmware-install").click();
  await flashedOk();
});

await check("Windows: a refused REBOOT2 is a failure, not a success", async () => {
  await freshPage({ platform: "windows" });
  await page.evaluate(() => window.bootsel.boot.inject({ kind: "stall", id: 0x0a, nth: 0, status: 8 }));
  await page.locator("#firmware-install").click();
  await failedWith(/REBOOT2.*UNKNOWN_ERROR/);
});

await check("a different chip (RP2040 bootloader) is refused, the right board then flashes", async () => {
  await freshPage({ productId: 0x0003 });
  await page.locator("#firmware-install").click();
  await failedWith(/RP2040 \(Pico 1\).*needs an RP2350/, "failed", false);
  const commands = await page.evaluate(() => window.bootsel.boot.log.length);
  if (commands !== 0) throw new Error(`${commands} commands reached the RP2040`);
  await page.evaluate(() => window.bootsel.plug());
  await page.locator("#firmware-install").click();
  await flashedOk();
});

await check("cancel stops between sectors; flashing again completes", async () => {
  await freshPage({ delayMs: 5 });
  await page.locator("#firmware-install").click();
  await page.waitForFunction(() => document.getElementById("firmware-progress")?.value >= 4 * 4096);
  await page.locator("#firmware-cancel").click();
  await failedWith(/^cancelled after \d+ of \d+ bytes/, "cancelled");
  const log = await page.evaluate(() => window.bootsel.boot.log.map((c) => c.id));
  if (log.includes(0x0a)) throw new Error("rebooted after a cancel");
  // A cancel lands after a whole sector: every WRITE was read back.
  const writes = log.filter((id) => id === 0x05).length;
  const reads = log.filter((id) => id === 0x84).length;
  if (writes !== reads) throw new Error(`${writes} writes, ${reads} read back`);
  await page.locator("#firmware-install").click();
  await flashedOk();
});

await check("a UF2 for the wrong family is refused before any erase", async () => {
  await freshPage();
  const rp2040 = await page.evaluate(async () => {
    const uf2 = new Uint8Array(await (await fetch("firmware/stapes-node.uf2")).arrayBuffer());
    const v = new DataView(uf2.buffer);
    for (let at = 0; at < uf2.length; at += 512) if (v.getUint32(at + 28, true) === 0xe48bff59) v.setUint32(at + 28, 0xe48bff56, true);
    return Array.from(uf2);
  });
  await page.setInputFiles("#firmware-file", { name: "rp2040.uf2", mimeType: "application/octet-stream", buffer: Buffer.from(rp2040) });
  await waitStep(["failed"]);
  const message = await statusText();
  if (!/^rp2040\.uf2: refused before erasing anything: .*RP2040/.test(message)) throw new Error(`message: ${message}`);
  if (!(await page.locator("#firmware-install").isDisabled())) throw new Error("install stays enabled");
  const log = await page.evaluate(() => window.bootsel.boot.log.length);
  if (log !== 0) throw new Error(`${log} commands sent`);
  await page.locator("#firmware").screenshot({ path: path.join(shots, "firmware-refused.png") });
  await page.locator("#firmware-bundled").click();
  await page.waitForFunction(() => document.getElementById("firmware-image")?.textContent.startsWith("stapes-node "));
  // The right file from disk is accepted and flashes.
  const good = await page.evaluate(async () => Array.from(new Uint8Array(await (await fetch("firmware/stapes-node.uf2")).arrayBuffer())));
  await page.setInputFiles("#firmware-file", { name: "mine.uf2", mimeType: "application/octet-stream", buffer: Buffer.from(good) });
  await page.waitForFunction(() => document.getElementById("firmware-image")?.textContent.startsWith("mine.uf2: "));
  await page.locator("#firmware-install").click();
  await flashedOk();
});

await check("update from a running node: reboot into the bootloader, flash, reconnect, version confirmed", async () => {
  await page.goto(origin + "/");
  await page.waitForFunction(() => document.querySelector(".status")?.textContent === "streaming");
  // The simulated node becomes the browser's node, then the user connects it.
  await page.evaluate(async () => window.bootsel.addNode((await window.stapesSim.usb.getDevices())[0]));
  await page.getByRole("button", { name: "Connect a node…" }).click();
  await page.waitForFunction(() => !document.getElementById("firmware-update")?.disabled);
  // A UF2 from disk carries no version: the node's `info` after the update is the result.
  const good = await page.evaluate(async () => Array.from(new Uint8Array(await (await fetch("firmware/stapes-node.uf2")).arrayBuffer())));
  await page.setInputFiles("#firmware-file", { name: "mine.uf2", mimeType: "application/octet-stream", buffer: Buffer.from(good) });
  await page.waitForFunction(() => document.getElementById("firmware-image")?.textContent.startsWith("mine.uf2: "));
  await page.locator("#firmware-update").click();
  await waitStep(["rebooting"]);
  await page.evaluate(() => window.bootsel.nodeToBootloader());
  await waitStep(["done"]);
  const message = await statusText();
  if (message !== "Updated: the node runs firmware 0.1.0 (simulated).") throw new Error(`message: ${message}`);
  const at = await mismatch();
  if (at !== null) throw new Error(`fake flash differs from the UF2 at 0x${at.toString(16)}`);
  await page.waitForFunction(() => document.querySelector(".status")?.textContent === "streaming");
  await page.locator("#firmware").screenshot({ path: path.join(shots, "firmware-updated.png") });
});

await check("update: another node's info does not confirm it (matched by serial)", async () => {
  await page.goto(origin + "/");
  await page.waitForFunction(() => document.querySelector(".status")?.textContent === "streaming");
  await page.evaluate(async () => window.bootsel.addNode((await window.stapesSim.usb.getDevices())[0]));
  await page.getByRole("button", { name: "Connect a node…" }).click();
  await page.waitForFunction(() => !document.getElementById("firmware-update")?.disabled);
  await page.locator("#firmware-update").click();
  await waitStep(["rebooting"]);
  // A second board, permitted too, is what shows up after the flash (the updated one stays in its bootloader).
  await page.evaluate(() => {
    const other = window.stapesSim.bus({ nodes: [{ serial: "E66058387B2F1A2C" }] }).device("E66058387B2F1A2C");
    return window.bootsel.nodeToBootloader({ comesBack: other });
  });
  await waitStep(["needs-node-permission", "done", "failed"], 20000);
  const [label, message] = [await step(), await statusText()];
  if (label !== "needs-node-permission") throw new Error(`${label}: ${message}`);
});

await check("no console errors", async () => {
  if (problems.length) throw new Error(problems.join("\n"));
});

await browser.close();
server.close();
console.log(failures ? `${failures} failed` : "all passed");
process.exit(failures ? 1 : 0);
