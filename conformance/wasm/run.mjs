// Runs the wasm32 conformance module and prints its `name=hash` lines: node run.mjs MODULE.wasm
// Plain Node (>= 18), no packages: the module imports nothing and exports two C-ABI functions (see src/lib.rs).
import { readFile } from "node:fs/promises";

const path = process.argv[2];
if (!path) {
  console.error("usage: node run.mjs stapes_conformance_wasm.wasm");
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(await readFile(path), {});
const { memory, stapes_conformance_run: run, stapes_conformance_output: output } = instance.exports;
const len = run() >>> 0;
const ptr = output() >>> 0;
process.stdout.write(new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len)));
