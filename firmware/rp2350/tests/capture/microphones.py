"""I2S MEMS microphone models, timed from their datasheets, for running the node's capture program in a PIO emulator.

A model sees the bit clock (BCLK/SCK) and word select (WS) as the PIO drives them, instruction by instruction, and
answers the level of its data line (SD/DATA). It is as strict as the part where the datasheet is explicit: it refuses
a bit clock outside the part's range or a frame that is not 64 bit clocks, and it only drives its own slot (the
other slot reads 0 through the pull-down). What the datasheet text does not state (which edge the data changes on is
drawn only in the timing figures) follows the figure as cited, and is said so next to the parameter.
"""

from dataclasses import dataclass


class TimingViolation(AssertionError):
    """The controller broke a rule of the microphone's datasheet."""


@dataclass(frozen=True)
class Part:
    """What a microphone datasheet fixes about its serial port."""

    name: str
    # The BCLK edge on which the part changes its data line ("falling" or "rising").
    launch_edge: str
    # Bits of precision in the 24-bit word; the rest are zeros.
    precision: int
    # Allowed bit-clock range, Hz (inclusive).
    sck_hz: tuple
    # Allowed frame (WS) rates, Hz, as (low, high) ranges.
    fs_ranges: tuple
    # Shortest BCLK high or low phase, ns.
    min_phase_ns: float


# INMP441, InvenSense DS-INMP441-00 rev 1.1:
# - "I²S Data Interface": "I²S, 24-bit, twos complement. There must be 64 SCK cycles in each WS stereo frame, or 32
#   SCK cycles per data-word."
# - "Data-Word Format": "The default data format is I²S (two's complement), MSB-first. In this format, the MSB of
#   each word is delayed by one SCK cycle from the start of each half-frame."
# - "Data Output Mode": "SD immediately tri-states after the LSB is output"; Figures 9/10 mark the other slot HIGH-Z.
# - Table 3 "Serial Data Port Timing Specifications": tSCH, tSCL ≥ 50 ns, tSCP ≥ 312 ns, fSCK 0.5–3.2 MHz,
#   fWS 7.8–50 kHz, tWSS ≥ 0 ns, tWSH ≥ 20 ns. No data-delay parameter is specified.
# - Table 6, L/R: "When set low, the microphone outputs its signal in the left channel".
# - Which edge SD changes on is drawn in Figure 1 "Serial Data Port Timing", not written: the Philips I2S convention
#   (data changes on the falling edge, the receiver samples on the rising edge, WS latched on the rising edge), as the
#   figure draws it.
INMP441 = Part(
    name="INMP441",
    launch_edge="falling",
    precision=24,
    sck_hz=(500_000, 3_200_000),
    fs_ranges=((7_800, 50_000),),
    min_phase_ns=50.0,
)

# ICS-43434, TDK InvenSense DS-000069 rev 1.2:
# - Features table: "Sample Rate 23–51.6 kHz" (High-Performance mode) and 6.25–18.75 kHz (Low-Power mode); 22.05 kHz
#   lies in neither range.
# - "I²S Data Interface": "24-bit, twos complement ... There must be 64 SCK cycles in each WS stereo frame"; "When set
#   to the left channel, the data will be output following WS's falling edge"; "the MSB of each word is delayed by one
#   SCK cycle from the start of each half-frame". Philips I2S timing as for the INMP441 (its predecessor).
# - The SCK range follows from the frame rates at 64 SCK a frame: 0.4–1.2 MHz and 1.472–3.3024 MHz.
ICS43434 = Part(
    name="ICS-43434",
    launch_edge="falling",
    precision=24,
    sck_hz=(400_000, 3_302_400),
    fs_ranges=((6_250, 18_750), (23_000, 51_600)),
    min_phase_ns=50.0,
)

# SPH0645LM4H-B, Knowles datasheet Rev B / Rev C:
# - "I2S, 24-bit, 2's compliment, MSB first. The data precision is 18 bits; unused bits are zeros."
# - Interface requirements: OSR fixed at 64 (WS = BCLK / 64); "WS must be synchronized (changing) on the falling edge
#   of BCLK"; "MSB delayed 1 BCLK cycle after LRCLK changes"; the data hold time after BCLK "must be greater than the
#   Hold Time of the Receiver".
# - BCLK range: Rev B 2.048–4.096 MHz (32–64 kHz frames); Rev C, Table 2, 1.024–4.096 MHz (16–64 kHz frames). The
#   model takes Rev C's, the part sold now; below it the part sleeps ("standard >1MHz ... sleep <1kHz").
# - Its timing figure draws DATA changing on the *rising* edge of BCLK while WS changes on the falling edge (the
#   difference from the other two, discussed in PJRC forum thread 47010 and worked around on ESP32 with
#   I2S_RX_SD_IN_DELAY, a hold-time fix): the MSB's bit cell runs from the rising edge after the WS change to the
#   next one, centred on the falling edge one BCLK after the WS change.
SPH0645 = Part(
    name="SPH0645",
    launch_edge="rising",
    precision=18,
    sck_hz=(1_024_000, 4_096_000),
    fs_ranges=((16_000, 64_000),),
    min_phase_ns=50.0,
)

PARTS = {"inmp441": INMP441, "ics43434": ICS43434, "sph0645": SPH0645}


class Microphone:
    """One microphone on the bus: feeds `samples` (24-bit two's complement integers) out of its slot, one per frame.

    `select_right`: the L/R (SELECT) pin tied high, so the part answers in the WS-high slot.
    """

    def __init__(self, part: Part, samples, select_right: bool = False):
        self.part = part
        self.samples = list(samples)
        self.select_right = select_right
        self.bclk = 0
        self.ws = 0
        self.latched_ws = None  # WS as the part last latched it, on a rising edge
        self.sd = 0  # tri-state reads as 0 through the pull-down
        self.word = None  # the word being sent, MSB first
        self.bit = 0  # bits of `word` driven so far
        self.launch_pending = False  # a slot started: the MSB goes out on the next launching edge
        self.sent = 0
        self.last_rise_ns = None
        self.last_edge_ns = None
        self.bclk_in_frame = 0

    def _check_phase(self, now_ns):
        if self.last_edge_ns is not None and now_ns - self.last_edge_ns < self.part.min_phase_ns:
            raise TimingViolation(
                f"{self.part.name}: BCLK phase of {now_ns - self.last_edge_ns:.1f} ns, "
                f"datasheet minimum {self.part.min_phase_ns} ns"
            )
        self.last_edge_ns = now_ns

    def _check_rate(self, now_ns):
        if self.last_rise_ns is not None:
            period = now_ns - self.last_rise_ns
            hz = 1e9 / period
            lo, hi = self.part.sck_hz
            if not lo <= round(hz) <= hi:
                raise TimingViolation(f"{self.part.name}: BCLK {hz:.0f} Hz outside {lo}..{hi} Hz")
            fs = hz / 64
            if not any(a <= round(fs) <= b for a, b in self.part.fs_ranges):
                raise TimingViolation(f"{self.part.name}: {fs:.0f} Hz frames outside {self.part.fs_ranges}")
        self.last_rise_ns = now_ns

    def _slot_starts(self, ws):
        """A WS change latched on a rising edge: a new slot begins; load the word if it is ours."""
        if self.latched_ws is not None and self.bclk_in_frame not in (0, 32):
            raise TimingViolation(
                f"{self.part.name}: WS changed after {self.bclk_in_frame} bit clocks of a 32-bit slot"
            )
        ours = (ws == 1) == self.select_right
        if ours and self.latched_ws is not None:
            sample = self.samples[self.sent] if self.sent < len(self.samples) else 0
            self.sent += 1
            # Only `precision` bits are real: the part sends zeros below them.
            drop = 24 - self.part.precision
            self.word = ((sample & 0xFFFFFF) >> drop) << drop
            self.bit = 0
            self.launch_pending = True
        else:
            self.word = None
        self.latched_ws = ws
        self.bclk_in_frame = 0

    def _launch(self):
        """The launching edge: drive the next bit of the word, or let go of the line after the LSB."""
        if self.word is not None and (self.launch_pending or 0 < self.bit < 24):
            self.launch_pending = False
            new = (self.word >> (23 - self.bit)) & 1
            self.bit += 1
        else:
            new = 0
            if self.word is not None and self.bit >= 24:
                self.word = None
        self.sd = new

    def step(self, bclk: int, ws: int, now_ns: float) -> int:
        """The lines as the controller drives them at `now_ns`; returns the data line's level."""
        if bclk != self.bclk:
            self._check_phase(now_ns)
            rising = bclk == 1
            if rising:
                self._check_rate(now_ns)
                self.bclk_in_frame += 1
                if ws != self.latched_ws:
                    self._slot_starts(ws)
                    # The rising edge that latches WS is the SPH0645's first launching edge (its MSB cell starts
                    # here); a Philips part launches on the falling edge after it.
                if self.part.launch_edge == "rising":
                    self._launch()
            elif self.part.launch_edge == "falling":
                self._launch()
            self.bclk = bclk
        self.ws = ws
        return self.sd
