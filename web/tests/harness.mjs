// What every browser test of the built dashboard shares: its command line, a static server for the dist directory
// on a free loopback port, and headless Debian Chromium with the flags this machine's closed network needs
// (playwright-core from npm in PLAYWRIGHT_CORE; Chromium from CHROMIUM, else /usr/bin/chromium).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const { chromium } = createRequire(import.meta.url)(process.env.PLAYWRIGHT_CORE ?? "playwright-core");

/** `[dist, shots]` from the command line (the screenshot directory is created), or exit with the usage. */
export function distAndShots(script) {
  const [distArg, shots] = process.argv.slice(2);
  if (!distArg || !shots) {
    console.error(`usage: node web/tests/${script} <dist dir> <screenshot dir>`);
    process.exit(2);
  }
  fs.mkdirSync(shots, { recursive: true });
  return [path.resolve(distArg), shots];
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

/** Serves `dist` on 127.0.0.1 (nothing outside it); `{ server, origin }`. */
export async function serve(dist) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const file = path.join(dist, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Headless Chromium with `extraArgs` after the common flags. */
export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", ...extraArgs],
  });
}
