"""Instructions per frame of offline extraction, counted with callgrind: every preset, bench.py's 512/160/64
log-mel, and the bare batch FFT each is compared with (issue 2's "pipeline ≤ 1.3× our bare FFT"). Unlike wall time
on a shared machine, the counts do not vary between runs; they do not see memory stalls or slow instructions (a
division counts as one), so they complement the criterion benches rather than replace them.

    python bench/instructions.py [NAME ...]             # needs valgrind (apt install valgrind)
    python bench/instructions.py --classes [NAME ...]   # and objdump: per instruction class and per function

Each program runs at two signal lengths (2 s and 10 s of 16 kHz audio); the difference of the two counts, divided
by the difference in frames, is the per-frame cost with set-up and tables cancelled out. Only the extraction (or
the FFT) is counted, not signal generation. The host CPU decides the lanes: AVX2 where the CPU has it.

``--classes`` sorts each per-frame count by instruction class (vector arithmetic, shuffles, loads, stores, scalar…)
and by function, from callgrind's per-instruction counts and the program's disassembly: it shows what a pipeline
does beyond its FFT. The kernels (`Lane::kernel`) are functions of their own, all named ``kernel_avx2``; their
addresses tell them apart.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ["whisper-80", "whisper-128", "yamnet", "vggish", "kaldi-fbank", "kaldi-mfcc", "librosa-mel", "librosa-mfcc"]
# The bare FFT each row is compared with: the preset's n_fft.
FFT_OF = {"whisper-80": 400, "whisper-128": 400, "librosa-mel": 2048, "librosa-mfcc": 2048}


def build() -> Path:
    cmd = ["cargo", "build", "--release", "-q", "-p", "stapes-core", "--example", "frame_instructions"]
    subprocess.run(cmd, cwd=ROOT, check=True)
    target = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    directory = re.search(rb'"target_directory":"([^"]+)"', target)
    assert directory is not None
    return Path(directory.group(1).decode()) / "release" / "examples" / "frame_instructions"


def count(program: Path, what: str, seconds: int, per_instruction: bool = False) -> tuple[int, int, Counter[int]]:
    """(instructions inside the counted call, frames, instructions per address if asked) of one run."""
    # One function per program, called once and never from itself: callgrind turns counting on at each entry and
    # off at each exit, so a nested match would switch it off.
    toggle = "*forward_batches*" if what.startswith("fft-") else "*extract_into_uninit*"
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--toggle-collect={toggle}", f"--callgrind-out-file={tmp}/out"]
            + (["--dump-instr=yes"] if per_instruction else [])
            + [str(program), what, str(seconds)],
            check=True,
            capture_output=True,
            text=True,
        )
        by_address = addresses(Path(tmp) / "out") if per_instruction else Counter()
    collected = re.search(r"Collected : ([\d,]+)", run.stderr)
    frames = re.search(r"frames (\d+)", run.stdout)
    if collected is None or frames is None:
        sys.exit(f"unexpected output from {what}:\n{run.stdout}\n{run.stderr}")
    return int(collected.group(1).replace(",", "")), int(frames.group(1)), by_address


def addresses(out: Path) -> Counter[int]:
    """Instructions executed at each address, from a callgrind file written with ``--dump-instr=yes``.

    Cost lines are ``address line cost``; an address is absolute (``0x…``), relative to the previous one (``+n``,
    ``-n``) or the same (``*``). The cost line after ``calls=`` is the callee's inclusive cost, not this address's.
    """
    counts: Counter[int] = Counter()
    last, call = 0, False
    for line in out.read_text().splitlines():
        if line.startswith("calls="):
            call = True
            continue
        if not line or line[0] not in "+-*0123456789":
            continue
        fields = line.split()
        position = fields[0]
        if position.startswith(("+", "-")):
            last += int(position, 0)
        elif position != "*":
            last = int(position, 0)
        if not call and len(fields) >= 3:
            counts[last] += int(fields[2])
        call = False
    return counts


def per_frame(program: Path, what: str) -> float:
    (short, f_short, _), (long, f_long, _) = count(program, what, 2), count(program, what, 10)
    return (long - short) / (f_long - f_short)


def disassembly(program: Path) -> dict[int, tuple[str, str, str]]:
    """Address → (function, mnemonic, operands) for every instruction of ``program``."""
    listing = subprocess.run(
        ["objdump", "-d", "-C", "--no-show-raw-insn", "-M", "intel", str(program)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    instructions, function = {}, "?"
    for line in listing.splitlines():
        if header := re.match(r"([0-9a-f]+) <(.*)>:$", line):
            function = f"{header.group(2)} @{int(header.group(1), 16):#x}"
        elif instruction := re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)", line):
            instructions[int(instruction.group(1), 16)] = (function, instruction.group(2), instruction.group(3))
    return instructions


def instruction_class(mnemonic: str, operands: str) -> str:
    if not mnemonic.startswith("v"):
        return "branch/compare" if mnemonic.startswith("j") or mnemonic in ("cmp", "test") else "scalar"
    if re.match(r"v(perm|shuf|unpck|insert|extract|blend|movs[hl]dup|movlhps|movhlps|pshuf)", mnemonic):
        return "shuffle"
    if mnemonic.startswith("vbroadcast"):
        return "broadcast"
    if mnemonic.startswith("vmov"):
        destination = operands.split(",")[0]
        return "store" if "[" in destination else "load" if "[" in operands else "register move"
    return "vector arithmetic"


def classes(program: Path, what: str, instructions: dict[int, tuple[str, str, str]]) -> None:
    (_, f_short, short), (_, f_long, long) = (count(program, what, seconds, True) for seconds in (2, 10))
    frames = f_long - f_short
    by_class: Counter[str] = Counter()
    by_function: dict[str, Counter[str]] = {}
    for address in short.keys() | long.keys():
        function, mnemonic, operands = instructions.get(address, ("?", "?", ""))
        kind = instruction_class(mnemonic, operands)
        by_class[kind] += long[address] - short[address]
        by_function.setdefault(function, Counter())[kind] += long[address] - short[address]

    def line(counts: Counter[str]) -> str:
        return ", ".join(f"{kind} {n / frames:,.1f}" for kind, n in counts.most_common() if n)

    print(f"{what}: {sum(by_class.values()) / frames:,.1f} per frame: {line(by_class)}")
    for function, counts in sorted(by_function.items(), key=lambda item: -sum(item[1].values())):
        if sum(counts.values()) / frames >= 1:
            print(f"  {sum(counts.values()) / frames:9,.1f}  {function}\n             {line(counts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=[*PRESETS, "logmel-512-160-64"])
    parser.add_argument("--classes", action="store_true", help="per instruction class and function (objdump)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt install valgrind")
    program = build()
    if args.classes:
        instructions = disassembly(program)
        for name in args.names:
            classes(program, name, instructions)
        return
    ffts: dict[int, float] = {}
    print(f"{'pipeline':<20} {'instr/frame':>12} {'bare FFT':>10} {'ratio':>7}")
    for name in args.names:
        n = FFT_OF.get(name, 512)
        if n not in ffts:
            ffts[n] = per_frame(program, f"fft-{n}")
        pipeline = per_frame(program, name)
        print(f"{name:<20} {pipeline:>12,.0f} {ffts[n]:>10,.0f} {pipeline / ffts[n]:>6.2f}×", flush=True)


if __name__ == "__main__":
    main()
