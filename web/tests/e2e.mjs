// End-to-end test of the built dashboard (target/dist) in headless Chromium, against the simulated node behind
// web/sim/fake-usb.js. Run by `cargo xtask test --only web`:
//   node web/tests/e2e.mjs <dist dir> <screenshot dir>
// with playwright-core from npm (the directory in PLAYWRIGHT_CORE, installed under target/tools by xtask) and
// Debian's /usr/bin/chromium.
import fs from "node:fs";
import path from "node:path";

import { distAndShots, launch, serve } from "./harness.mjs";

const [dist, shots] = distAndShots("e2e.mjs");
const { server, origin } = await serve(dist);

const browser = await launch([
  // A fake microphone (a beep) that needs no permission prompt.
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
]);
const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(10000);
const problems = [];
page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));
page.on("request", (r) => !r.url().startsWith(origin) && problems.push(`request off the page's origin: ${r.url()}`));

let failures = 0;
async function check(name, body) {
  const start = Date.now();
  const seen = problems.length;
  try {
    await body();
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failures += 1;
    // What the page or the fake said while the check ran is often why it timed out (e.g. fake-usb reporting a
    // request the node never saw the end of).
    const meanwhile = problems.slice(seen).map((p) => `\n     meanwhile: ${p}`).join("");
    console.log(`FAIL ${name}: ${e.message}${meanwhile}`);
    await page.screenshot({ path: path.join(shots, `fail-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
  }
}
const status = () => page.locator(".status").textContent();
const waitStatus = (s, timeout = 5000) =>
  page.waitForFunction((s) => document.querySelector(".status")?.textContent === s, s, { timeout });
const counter = async (name) => Number(await page.locator(`[data-counter="${name}"]`).textContent());
const canvasHash = () =>
  page.evaluate(() => {
    const c = document.getElementById("spectrogram");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
    return h;
  });

await check("first load to live frames within 2 s", async () => {
  const start = Date.now();
  await page.goto(origin + "/");
  await waitStatus("streaming", 10000);
  const ms = Date.now() - start;
  console.log(`     first load → streaming: ${ms} ms`);
  if (ms > 2000) throw new Error(`took ${ms} ms`);
});

await check("frames arrive and the spectrogram moves", async () => {
  const before = await canvasHash();
  await page.waitForTimeout(1500);
  const after = await canvasHash();
  if (before === after) throw new Error("canvas pixels did not change");
  const received = await counter("received");
  const rendered = await counter("rendered");
  const fps = await counter("frames/s");
  console.log(`     received ${received}, rendered ${rendered}, ${fps} frames/s`);
  if (received < 100) throw new Error(`only ${received} frames received`);
  if (fps < 90 || fps > 110) throw new Error(`${fps} frames/s, expected about 100`);
  if (received - rendered > 20) throw new Error(`rendering is ${received - rendered} frames behind`);
  await page.screenshot({ path: path.join(shots, "streaming.png") });
});

await check("the cursor reads the value under the mouse", async () => {
  const box = await page.locator("#spectrogram").boundingBox();
  await page.mouse.move(box.x + box.width - 5, box.y + box.height / 2);
  const text = await page.locator("#live .cursor").textContent();
  if (!/ms ago, band \d+: -?\d+\.\d dB/.test(text)) throw new Error(`cursor: ${text}`);
});

// One canvas column per frame: the canvas' width, and how many columns hold a drawn (opaque) pixel.
const columns = () =>
  page.evaluate(() => {
    const c = document.getElementById("spectrogram");
    const row = c.getContext("2d").getImageData(0, Math.floor(c.height / 2), c.width, 1).data;
    let filled = 0;
    for (let x = 0; x < c.width; x++) if (row[4 * x + 3] === 255) filled += 1;
    return { width: c.width, filled, leftmost: row[3] === 255 };
  });
const waitWidth = (w) =>
  page.waitForFunction((w) => document.getElementById("spectrogram")?.width === w, w);
// The cursor's "N ms ago" with the mouse at `fx` of the canvas' width (0 left, 1 right), mid-height.
const msAgoAt = async (fx) => {
  const box = await page.locator("#spectrogram").boundingBox();
  await page.mouse.move(box.x + Math.min(Math.max(fx * box.width, 1), box.width - 1), box.y + box.height / 2);
  const text = await page.locator("#live .cursor").textContent();
  const m = /^(\d+) ms ago, band \d+: /.exec(text);
  if (!m) throw new Error(`cursor at ${fx}: "${text}"`);
  return Number(m[1]);
};

await check("history length sets the frames kept and drawn, the cursor follows", async () => {
  // 100 frames/s: 10 s (the default) is 1000 columns, 5 s is 500.
  await waitWidth(1000);
  await page.locator("#history").selectOption("5");
  await waitWidth(500);
  await page.waitForFunction(() => {
    const c = document.getElementById("spectrogram");
    return c.getContext("2d").getImageData(0, Math.floor(c.height / 2), 1, 1).data[3] === 255;
  }, null, { timeout: 8000 });
  const full = await columns();
  if (full.filled !== 500) throw new Error(`5 s: ${JSON.stringify(full)}`);
  const oldest = await msAgoAt(0);
  const newest = await msAgoAt(1);
  console.log(`     5 s: ${full.filled} columns, cursor ${oldest} ms ago at the left edge, ${newest} ms at the right`);
  if (oldest < 4900 || oldest > 4990) throw new Error(`left edge reads ${oldest} ms ago`);
  if (newest > 20) throw new Error(`right edge reads ${newest} ms ago`);
  // 60 s: the ring was cut to 5 s, so the canvas is 6000 columns with only the newest ones drawn.
  await page.locator("#history").selectOption("60");
  await waitWidth(6000);
  const long = await columns();
  console.log(`     60 s: ${long.filled} of ${long.width} columns drawn`);
  if (long.filled < 500 || long.filled > 1500 || long.leftmost) throw new Error(`60 s: ${JSON.stringify(long)}`);
  await page.locator("#history").selectOption("5");
  await waitWidth(500);
});

await check("time zoom draws the newest frames wider, the cursor reads them", async () => {
  await page.locator("#zoom").selectOption("4");
  await waitWidth(125);
  const zoomed = await columns();
  if (zoomed.filled !== 125) throw new Error(`4×: ${JSON.stringify(zoomed)}`);
  const oldest = await msAgoAt(0);
  const newest = await msAgoAt(1);
  const middle = await msAgoAt(0.5);
  console.log(`     4× of 5 s: cursor ${oldest} / ${middle} / ${newest} ms ago at left / middle / right`);
  if (oldest < 1200 || oldest > 1240) throw new Error(`left edge reads ${oldest} ms ago`);
  if (middle < 600 || middle > 640) throw new Error(`middle reads ${middle} ms ago`);
  if (newest > 20) throw new Error(`right edge reads ${newest} ms ago`);
  await page.locator("#live").screenshot({ path: path.join(shots, "zoom-4x.png") });
  // Paused: the canvas stands still, and zooming out redraws the frozen frames with the cursor reading them.
  await page.getByRole("button", { name: "Pause" }).click();
  // Frames that arrived before the click are drawn on the next animation frame; from then on nothing moves.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const frozen = await canvasHash();
  await page.waitForTimeout(300);
  if ((await canvasHash()) !== frozen) throw new Error("the canvas moved while paused");
  await page.locator("#zoom").selectOption("1");
  await waitWidth(500);
  const paused = await columns();
  const pausedOldest = await msAgoAt(0);
  console.log(`     paused, 1×: ${paused.filled} columns, cursor ${pausedOldest} ms ago at the left edge`);
  if (paused.filled !== 500 || pausedOldest < 4900 || pausedOldest > 4990) throw new Error(JSON.stringify(paused));
  await page.getByRole("button", { name: "Resume" }).click();
  await page.locator("#zoom").selectOption("1");
  await page.locator("#history").selectOption("10");
  await waitWidth(1000);
});

await check("device card shows the simulated node", async () => {
  const board = await page.locator("#device .board").textContent();
  if (board !== "simulated") throw new Error(`board ${board}`);
  if ((await page.locator("#device .warn").count()) !== 0) throw new Error("version warning on a matching node");
});

await check("an invalid setting is refused with its message", async () => {
  const field = page.locator('input[name="frames.n_fft"]');
  await field.fill("100");
  await field.dispatchEvent("change");
  await page.waitForFunction(() => document.querySelector(".validity")?.classList.contains("invalid"));
  const message = await page.locator(".validity").textContent();
  if (!message.includes("n_fft") && !message.includes("win_length")) throw new Error(`message: ${message}`);
  if (!(await page.locator("#write").isDisabled())) throw new Error("write stays enabled");
  await page.screenshot({ path: path.join(shots, "invalid-setting.png") });
  await field.fill("512");
  await field.dispatchEvent("change");
});

await check("a valid setting is written, read back and survives a reload", async () => {
  const field = page.locator('input[name="mel.n_mels"]');
  await field.fill("40");
  await field.dispatchEvent("change");
  await page.waitForFunction(() => document.querySelector(".validity")?.textContent === "valid");
  await page.locator("#write").click();
  await page.waitForFunction(() => document.getElementById("settings-status")?.textContent.startsWith("written"));
  await waitStatus("streaming");
  await page.reload();
  await waitStatus("streaming", 10000);
  await page.waitForFunction(() => document.querySelector('input[name="mel.n_mels"]')?.value === "40");
  const what = await page.locator("#live .what").textContent();
  if (!what.includes("40 bands")) throw new Error(`live view says: ${what}`);
});

await check("unplug mid-stream shows the state, replug reconnects by itself", async () => {
  await page.evaluate(() => window.stapesSim.unplug());
  await waitStatus("no device");
  await page.screenshot({ path: path.join(shots, "unplugged.png") });
  const before = await counter("received");
  await page.evaluate(() => window.stapesSim.plug());
  await waitStatus("streaming", 5000);
  await page.waitForTimeout(500);
  if ((await counter("received")) <= before) throw new Error("no frames after reconnect");
});

await check("record 2 s, export .npy/CSV/sidecar, re-import", async () => {
  const bands = Number(await page.locator('input[name="mel.n_mels"]').inputValue());
  await page.locator("#record").click();
  await page.waitForFunction(() => document.getElementById("recorder-status")?.textContent.startsWith("recorded"));
  const saved = async (id) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(id).click()]);
    const file = path.join(shots, download.suggestedFilename());
    await download.saveAs(file);
    return file;
  };
  const npy = fs.readFileSync(await saved("#save-npy"));
  const headerLen = npy.readUInt16LE(8);
  const header = npy.subarray(10, 10 + headerLen).toString();
  if (!header.includes("'descr': '<f4'") || !header.includes(`'shape': (200, ${bands})`)) throw new Error(header);
  const values = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLen, npy.byteOffset + npy.length));
  if (values.length !== 200 * bands || !values.every(Number.isFinite)) throw new Error("bad .npy data");
  const csv = fs.readFileSync(await saved("#save-csv"), "utf8").trim().split("\n");
  const csvValues = csv.slice(1).flatMap((line) => line.split(",").map((v) => Math.fround(Number(v))));
  if (csv.length !== 201 || csvValues.some((v, i) => v !== values[i])) throw new Error("CSV differs from .npy");
  const sidecar = JSON.parse(fs.readFileSync(await saved("#save-json"), "utf8"));
  if (sidecar.shape.join() !== `200,${bands}` || sidecar.config.mel.n_mels !== bands) throw new Error(JSON.stringify(sidecar));
  await page.locator('#recorder input[type="file"]').setInputFiles(path.join(shots, "stapes-features.npy"));
  await page.waitForFunction((bands) =>
    document.getElementById("recorder-status")?.textContent === `imported 200 frames × ${bands} features`, bands);
});

await check("parity: device vs browser difference is exactly zero", async () => {
  await page.locator("#parity").click();
  await page.waitForFunction(() => document.getElementById("parity-result")?.textContent.startsWith("parity"));
  const text = await page.locator("#parity-result").textContent();
  console.log(`     ${text}`);
  if (!/200 frames compared, 200 bit-identical, max \|device − browser\| = 0$/.test(text)) throw new Error(text);
  // For web/tests/check_wheel.py: the same recording against the Python wheel.
  for (const [id, name] of [["#save-npy", "parity-features.npy"], ["#save-audio", "parity-audio.npy"],
    ["#save-json", "parity-sidecar.json"]]) {
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(id).click()]);
    await download.saveAs(path.join(shots, name));
  }
  await page.screenshot({ path: path.join(shots, "parity.png") });
});

await check("the simulated node's test signal can be changed", async () => {
  await page.locator("#sim-signal").selectOption("tones");
  const before = await canvasHash();
  await page.waitForTimeout(300);
  if ((await canvasHash()) === before) throw new Error("canvas stopped");
});

await check("the microphone (Web Audio) feeds the simulated node", async () => {
  await page.locator("#sim-signal").selectOption("microphone");
  const before = await counter("received");
  const hash = await canvasHash();
  await page.waitForTimeout(1200);
  const after = await counter("received");
  if (after - before < 50) throw new Error(`${after - before} frames in 1.2 s from the microphone`);
  if ((await canvasHash()) === hash) throw new Error("canvas stopped");
  await page.locator("#sim-signal").selectOption("chirp");
});

await check("file analysis of a WAV file", async () => {
  // 1 s of a 1 kHz tone, 16-bit mono at 16 kHz.
  const n = 16000;
  const wav = Buffer.alloc(44 + 2 * n);
  wav.write("RIFF", 0); wav.writeUInt32LE(36 + 2 * n, 4); wav.write("WAVE", 8);
  wav.write("fmt ", 12); wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(16000, 24); wav.writeUInt32LE(32000, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34);
  wav.write("data", 36); wav.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000)), 44 + 2 * i);
  await page.locator('#files input[type="file"]').setInputFiles({ name: "tone.wav", mimeType: "audio/wav", buffer: wav });
  await page.waitForFunction(() => document.getElementById("files-status")?.textContent.includes("→"));
  const text = await page.locator("#files-status").textContent();
  if (!text.includes("100 frames × 80 features (whisper-80)")) throw new Error(text);
  await page.locator("#files").screenshot({ path: path.join(shots, "file-analysis.png") });
});

await check("file analysis of a 44.1 kHz WAV resamples it to the preset's rate and says so", async () => {
  // 1 s of a 1 kHz tone at 44.1 kHz: whisper-80 runs at 16 kHz, so 16,000 samples and 100 frames, not 275.
  const sr = 44100, n = 44100;
  const wav = Buffer.alloc(44 + 2 * n);
  wav.write("RIFF", 0); wav.writeUInt32LE(36 + 2 * n, 4); wav.write("WAVE", 8);
  wav.write("fmt ", 12); wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(sr, 24); wav.writeUInt32LE(2 * sr, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34);
  wav.write("data", 36); wav.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / sr)), 44 + 2 * i);
  await page.locator('#files input[type="file"]').setInputFiles({ name: "tone44k.wav", mimeType: "audio/wav", buffer: wav });
  await page.waitForFunction(() => document.getElementById("files-status")?.textContent.includes("tone44k.wav"));
  const text = await page.locator("#files-status").textContent();
  if (!text.includes("44100 Hz, resampled to 16000 Hz") || !text.includes("100 frames × 80 features (whisper-80)")) {
    throw new Error(text);
  }
});

await check("scalars stream: time plots and the RMS meter", async () => {
  await page.evaluate(() => {
    const area = document.getElementById("config-json");
    const config = JSON.parse(area.value);
    config.scalars.rms = true;
    config.scalars.centroid = true;
    area.value = JSON.stringify(config, null, 2);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.locator('input[name="streams.scalars"]').check();
  await page.waitForFunction(() => document.querySelector(".validity")?.textContent === "valid");
  await page.locator("#write").click();
  await page.waitForFunction(() => document.getElementById("settings-status")?.textContent.startsWith("written"));
  await page.locator("#scalars").waitFor();
  await page.waitForFunction(() => document.querySelector("#live .meter-text")?.textContent.startsWith("RMS"));
  const legend = await page.locator("#live .legend").textContent();
  if (!legend.includes("rms") || !legend.includes("centroid")) throw new Error(`legend: ${legend}`);
  await page.locator("#live").screenshot({ path: path.join(shots, "scalars.png") });
});

await check("reset restores the defaults", async () => {
  await page.getByText("Reset to defaults").click();
  await page.waitForFunction(() => document.querySelector('input[name="mel.n_mels"]')?.value === "64");
});

await check("no console errors, nothing fetched from elsewhere", async () => {
  if (problems.length) throw new Error(problems.join("\n"));
});

await browser.close();
server.close();
console.log(failures ? `${failures} failed` : "all passed");
process.exit(failures ? 1 : 0);
