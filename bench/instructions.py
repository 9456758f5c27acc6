"""Instructions per frame of offline extraction, counted with callgrind: every preset, bench.py's 512/160/64
log-mel, and the bare batch FFT each is compared with (issue 2's "pipeline ≤ 1.3× our bare FFT"). Unlike wall time
on a shared machine, the counts do not vary between runs; they do not see memory stalls or slow instructions (a
division counts as one), so they complement the criterion benches rather than replace them.

    python bench/instructions.py [NAME ...]     # needs valgrind (apt install valgrind)

Each program runs at two signal lengths (2 s and 10 s of 16 kHz audio); the difference of the two counts, divided
by the difference in frames, is the per-frame cost with set-up and tables cancelled out. Only the extraction (or
the FFT) is counted, not signal generation. The host CPU decides the lanes: AVX2 where the CPU has it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
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


def count(program: Path, what: str, seconds: int) -> tuple[int, int]:
    """(instructions inside the counted call, frames) of one run."""
    # One function per program, called once and never from itself: callgrind turns counting on at each entry and
    # off at each exit, so a nested match would switch it off.
    toggle = "*forward_batches*" if what.startswith("fft-") else "*extract_into_uninit*"
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--toggle-collect={toggle}", f"--callgrind-out-file={tmp}/out"]
            + [str(program), what, str(seconds)],
            check=True,
            capture_output=True,
            text=True,
        )
    collected = re.search(r"Collected : ([\d,]+)", run.stderr)
    frames = re.search(r"frames (\d+)", run.stdout)
    if collected is None or frames is None:
        sys.exit(f"unexpected output from {what}:\n{run.stdout}\n{run.stderr}")
    return int(collected.group(1).replace(",", "")), int(frames.group(1))


def per_frame(program: Path, what: str) -> float:
    (short, f_short), (long, f_long) = count(program, what, 2), count(program, what, 10)
    return (long - short) / (f_long - f_short)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=[*PRESETS, "logmel-512-160-64"])
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt install valgrind")
    program = build()
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
