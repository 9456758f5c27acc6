// The page's real-USB path against a `navigator.usb` as strict as Chromium's (web/sim/fake-usb.js, each behaviour
// cited there), in headless Chromium: reloads, nodes left streaming, refused opens and claims, Windows stalls,
// slow enumeration, Android permissions, unplugs in every order, two nodes. Each check is one bug of issue 33. Run
// by `cargo xtask test --only web`:
//   node web/tests/webusb.mjs <dist dir> <screenshot dir>
// with playwright-core from npm (PLAYWRIGHT_CORE) and Debian's /usr/bin/chromium.
import path from "node:path";
import { fileURLToPath } from "node:url";

import { distAndShots, launch, serve } from "./harness.mjs";

const [dist, shots] = distAndShots("webusb.mjs");
const fakePicoboot = path.join(path.dirname(fileURLToPath(import.meta.url)), "../sim/fake-picoboot.js");
const { server, origin } = await serve(dist);

const browser = await launch();

// Stands in for the browser's `navigator.usb` before the page's script runs. The nodes behind it are the page's
// own node library (`SimNode`), so the bus is built on first use from the page's simulated one:
// `window.stapesSim.bus(options, usb)` fills this object in. `window.realUsb()` is that bus, for the test.
function installRealUsb(options) {
  const usb = new EventTarget();
  let bus = null;
  const ensure = () => (bus ??= window.stapesSim.bus(options, usb));
  usb.getDevices = () => ensure().usb.getDevices();
  usb.requestDevice = (o) => ensure().usb.requestDevice(o);
  Object.defineProperty(Navigator.prototype, "usb", { get: () => usb, configurable: true });
  window.realUsb = ensure;
}

const A = "0123456789ABCDEF";
const B = "E66058387B2F1A2C";

let failures = 0;
/// One check in a fresh browser context (fresh storage): `options` for the fake bus, `userAgent` to play Android.
async function check(name, { options = {}, userAgent } = {}, body) {
  // ONLY=<part of a name> runs just the matching checks.
  if (process.env.ONLY && !name.includes(process.env.ONLY)) return;
  const start = Date.now();
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, userAgent });
  await context.addInitScript({ path: fakePicoboot });
  // By default one node the page has never been allowed to open: the user picks it in the chooser (`connect`).
  await context.addInitScript(installRealUsb, { nodes: [{ serial: A, permitted: false }], ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  const t = {
    page,
    status: () => page.locator("header .status").textContent(),
    waitStatus: (s, timeout = 5000) =>
      page.waitForFunction((s) => document.querySelector(".status")?.textContent === s, s, { timeout }),
    error: () => page.locator("p.error").textContent(),
    hint: () => page.locator("p.hint").textContent(),
    notice: () => page.locator("p.notice").textContent(),
    counter: async (name) => Number(await page.locator(`[data-counter="${name}"]`).textContent()),
    bus: (code, arg) => page.evaluate(code, arg),
    opened: (serial) => page.evaluate((s) => window.realUsb().device(s)?.opened ?? false, serial),
    /// The user picks `serial` in the browser's chooser.
    connect: async (serial = A) => {
      await page.evaluate((s) => window.realUsb().choose(s), serial);
      await page.getByRole("button", { name: "Connect a node…" }).click();
    },
    /// The page on the simulated node, the bus built.
    load: async () => {
      await page.goto(origin + "/");
      await page.waitForFunction(() => window.stapesSim && window.realUsb());
    },
  };
  try {
    await body(t);
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures += 1;
    const state = await Promise.all([t.status(), t.error(), t.hint()]).catch(() => []);
    console.log(`FAIL ${name}: ${e.message}\n     status "${state[0]}", error "${state[1]}", hint "${state[2]}"` +
      problems.map((p) => `\n     meanwhile: ${p}`).join(""));
    await page.screenshot({ path: path.join(shots, `webusb-fail-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
  }
  await context.close();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isSerial = async (t, serial) => {
  const shown = await t.page.locator("#device dd").allTextContents();
  if (!shown.includes(serial)) throw new Error(`device card shows ${JSON.stringify(shown)}, not serial ${serial}`);
};

// Bug 1.
await check("a reload reconnects a permitted node by itself", { options: { nodes: [{ serial: A }] } }, async (t) => {
  await t.load();
  await t.waitStatus("streaming");
  if (!(await t.opened(A))) throw new Error("streaming, but from the simulated node: the permitted node is closed");
  await t.page.reload();
  await t.page.waitForFunction(() => window.stapesSim && window.realUsb());
  await t.waitStatus("streaming");
  if (!(await t.opened(A))) throw new Error("after the reload the permitted node is closed");
});

// Bug 2.
await check("a node another tab left streaming: counters start clean", { options: { streamingBefore: true, answerDelayMs: 50 } }, async (t) => {
  await t.load();
  // The node streams to nobody for a while: its queue fills with old frames and its sequence numbers run ahead.
  await sleep(2500);
  const [before, droppedBefore] = [await t.counter("received"), await t.counter("dropped")];
  await t.connect();
  await t.waitStatus("streaming");
  // New frames count from the start: received grows at the stream's rate right away (old frames counted instead
  // would make the new ones "late" until their numbers caught up, and the count would stand still).
  await sleep(500);
  const [first, dropped] = [await t.counter("received"), await t.counter("dropped")];
  await sleep(1000);
  const second = await t.counter("received");
  if (process.env.DEBUG) console.log(await t.page.evaluate(() => document.getElementById("counters").textContent));
  console.log(`     received ${before} (simulated node) → ${first} → ${second} a second later, dropped ${droppedBefore} → ${dropped}`);
  if (dropped !== droppedBefore) throw new Error(`${dropped - droppedBefore} frames counted as dropped`);
  if (second - first < 70) throw new Error(`${second - first} frames counted in a second of a 100 frames/s stream`);
});

// Bug 3.
await check("open() refused (SecurityError) says access denied and names the udev rule for 1209", { options: { openError: "SecurityError" } }, async (t) => {
  await t.load();
  await t.connect();
  await t.waitStatus("error");
  const error = await t.error();
  if (/secure context/.test(error)) throw new Error(`blames the secure context: ${error}`);
  if (!/60-stapes\.rules/.test(error) || !/1209/.test(error)) throw new Error(`no udev hint for vendor 1209: ${error}`);
});

await check("a node unplugged while it opens says it was disconnected", { options: { openDelayMs: 300 } }, async (t) => {
  await t.load();
  await t.connect();
  await sleep(100);
  await t.bus(() => window.realUsb().unplug());
  await sleep(500);
  const [status, error] = [await t.status(), await t.error()];
  if (/No node was chosen/.test(error)) throw new Error(`status ${status}: ${error}`);
  if (status !== "no device") throw new Error(`status ${status}: ${error}`);
});

// Bug 4 (the page's side; the flasher's is in update.mjs).
await check("Windows: a stall (NetworkError) is not an unplug: the halt is cleared, the stream goes on", { options: { platform: "windows" } }, async (t) => {
  await t.load();
  await t.connect();
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().device().stall());
  await sleep(1000);
  const before = await t.counter("received");
  await sleep(1000);
  const after = await t.counter("received");
  if ((await t.status()) !== "streaming" || after <= before) {
    throw new Error(`status ${await t.status()}, ${after - before} frames in the second after the stall`);
  }
});

// Bug 5.
await check("slow enumeration: a replugged node refused for 100 ms is retried and streams", { options: { slowEnumerationMs: 100 } }, async (t) => {
  await t.load();
  await sleep(200);
  await t.connect();
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().unplug());
  await t.waitStatus("no device");
  await t.bus(() => window.realUsb().plug());
  await t.waitStatus("streaming", 3000);
});

await check("Android: no promise to reconnect by itself; a replug asks again", {
  options: { platform: "android" },
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36",
}, async (t) => {
  await t.load();
  await t.connect();
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().unplug());
  await t.waitStatus("no device");
  const hint = await t.hint();
  if (/reconnects by itself/.test(hint)) throw new Error(`hint: ${hint}`);
  await t.bus(() => window.realUsb().plug());
  await sleep(300);
  if (!/Connect a node/.test(await t.hint())) throw new Error(`after the replug the hint says: ${await t.hint()}`);
  await t.connect();
  await t.waitStatus("streaming");
});

// Bug 6.
await check("the bootloader's badge goes when it is unplugged", {}, async (t) => {
  await t.load();
  // The node restarts into its bootloader (and the user then unplugs the board).
  await t.connect();
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().unplug());
  await t.waitStatus("no device");
  await t.bus(() => {
    const { FakePicoboot, createDevice } = globalThis.StapesFakePicoboot;
    window.boot = createDevice(new FakePicoboot());
    window.realUsb().attach(window.boot);
  });
  await t.waitStatus("bootloader");
  await t.bus(() => window.realUsb().detach(window.boot));
  await t.waitStatus("no device");
});

const twoNew = [{ serial: A, permitted: false }, { serial: B, permitted: false }];
await check("a second connect event during open() leaves no error behind", { options: { openDelayMs: 300, nodes: twoNew } }, async (t) => {
  await t.load();
  await t.bus((b) => window.realUsb().unplug(b), B);
  await t.connect(A);
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().unplug());
  await t.waitStatus("no device");
  await t.bus(() => window.realUsb().plug());
  await sleep(100);
  await t.bus((b) => window.realUsb().plug(b), B);
  await sleep(1500);
  const [status, error] = [await t.status(), await t.error()];
  if (status !== "streaming" || error) throw new Error(`status ${status}, error "${error}"`);
});

await check("macOS: an unplug that aborts the read first ends in no device, not an error", { options: { platform: "mac" } }, async (t) => {
  await t.load();
  await t.connect();
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().unplug());
  await sleep(300);
  const [status, error] = [await t.status(), await t.error()];
  if (status !== "no device" || error) throw new Error(`status ${status}, error "${error}"`);
});

await check("the disconnect event before the read's rejection ends in no device", { options: { disconnectFirst: true } }, async (t) => {
  await t.load();
  await t.connect();
  await t.waitStatus("streaming");
  await t.bus(() => window.realUsb().unplug());
  await sleep(300);
  const [status, error] = [await t.status(), await t.error()];
  if (status !== "no device" || error) throw new Error(`status ${status}, error "${error}"`);
});

await check("a refused claim closes the device again", { options: { claimError: "NetworkError" } }, async (t) => {
  await t.load();
  await t.connect();
  await t.waitStatus("error");
  if (await t.opened(A)) throw new Error(`the device stays open after: ${await t.error()}`);
});

// Bug 7.
await check("reconnect takes the node with the same serial, not the first permitted one", { options: { nodes: twoNew } }, async (t) => {
  await t.load();
  await t.connect(A);
  await t.waitStatus("streaming");
  await isSerial(t, A);
  await t.connect(B);
  await t.page.waitForFunction((b) => window.realUsb().device(b).opened, B);
  await t.waitStatus("streaming");
  await isSerial(t, B);
  await t.bus((b) => window.realUsb().unplug(b), B);
  await t.waitStatus("no device");
  await t.bus((b) => window.realUsb().plug(b), B);
  await t.waitStatus("streaming");
  if (await t.opened(A)) throw new Error("the page opened node A instead of B");
  await isSerial(t, B);
});

await browser.close();
server.close();
console.log(failures ? `${failures} failed` : "all passed");
process.exit(failures ? 1 : 0);
