"""Runs the node's I2S capture program in a PIO emulator against microphone models: the host side of
`firmware/rp2350/tests/capture.rs`, which assembles the program, sends it here and checks what comes back.

stdin, JSON: {"program": {"code": [u16], "wrap_target": n, "wrap_source": n, "side_set_bits": n, "word_bits": n},
              "sys_hz": n,
              "jobs": [{"mic": "inmp441" | "ics43434" | "sph0645", "select_right": bool, "divider_bits": n,
                        "samples": [24-bit ints], "words": n}]}
stdout, JSON: {"results": [{"words": [u32]} | {"error": "..."}]}

The emulator is `pioemu` (PyPI `rp2040-pio-emulator`, pinned in this folder's requirements.txt). Its facts this
relies on, from its source (`pioemu/emulation.py`, `emulate`): `input_source` is called before each instruction with
the pins as the previous instructions left them, so an `in pins` reads the data line as it was before its own
side-set edge, as the RP2350's input synchroniser does; `in pins` has no base and reads from GPIO 0; the RX FIFO holds
four words, so it is drained after every step (a full FIFO stalls the state machine).
"""

import json
import sys

from pioemu import State, emulate

from microphones import PARTS, Microphone, TimingViolation

# Emulator pins: SD on GPIO 0 (pioemu reads `in pins` from 0), BCLK and WS on the two side-set pins after it.
SD, BCLK, WS = 0, 1, 2


def run(program, sys_hz, job):
    part = PARTS[job["mic"]]
    mic = Microphone(part, job["samples"], select_right=job.get("select_right", False))
    # One PIO cycle lasts divider / sys_hz: the CLKDIV 16.8 fixed point, averaged over its fractional jitter.
    cycle_ns = job["divider_bits"] / 256 * 1e9 / sys_hz

    def pins(state: State) -> int:
        bclk = (state.pin_values >> BCLK) & 1
        ws = (state.pin_values >> WS) & 1
        return mic.step(bclk, ws, state.clock * cycle_ns) << SD

    want = job["words"]
    words = []
    steps = emulate(
        program["code"],
        stop_when=lambda _op, _state: len(words) >= want,
        initial_state=State(pin_directions=(1 << BCLK) | (1 << WS)),
        input_source=pins,
        auto_push=True,
        push_threshold=program["word_bits"],
        shift_isr_right=False,
        side_set_base=BCLK,
        side_set_count=program["side_set_bits"],
        wrap_target=program["wrap_target"],
        wrap_top=program["wrap_source"],
    )
    limit = (want + 2) * 64 * 2 * 2
    for n, (_before, after) in enumerate(steps):
        while after.receive_fifo:
            words.append(after.receive_fifo.popleft())
        if n > limit:
            raise RuntimeError(f"no {want} words after {n} PIO cycles: the program stalls or never pushes")
    return words


def main():
    request = json.load(sys.stdin)
    results = []
    for job in request["jobs"]:
        try:
            results.append({"words": run(request["program"], request["sys_hz"], job)})
        except TimingViolation as e:
            results.append({"error": f"timing violation: {e}"})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
