#!/usr/bin/env python3
"""Instructions of one TFLite Micro `micro-wakeword` frame on Cortex-M33 (QEMU mps2-an505, counted by
tools/qemu/count.c): stapes (conformance/m33, bin m33-micro, `--profile firmware`) next to the reference C from the
pymicro-features sdist (downloaded with pip now, never committed), built with `arm-none-eabi-gcc -O2
-mcpu=cortex-m33` around tools/qemu/micro_ref_m33.c. Both get the same input and print their frame's checksum,
which must agree.

Usage: python tools/qemu/micro_m33.py [--profile NAME]   (needs qemu-system-arm, gcc, arm-none-eabi-gcc with newlib, pip)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TARGET = "thumbv8m.main-none-eabihf"
PMF_VERSION = "2.0.2"
SOURCES = ["kiss_fft_int16.cc", "fft.cc", "fft_util.cc", "filterbank.cc", "filterbank_util.cc", "frontend.cc",
           "frontend_util.cc", "log_lut.cc", "log_scale.cc", "log_scale_util.cc", "noise_reduction.cc",
           "noise_reduction_util.cc", "pcan_gain_control.cc", "pcan_gain_control_util.cc", "window.cc",
           "window_util.cc"]
CFLAGS = ["-O2", "-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))


def plugin() -> Path:
    lib = target_dir() / "qemu" / "libcount.so"
    lib.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(HERE / "count.c")], check=True)
    return lib


def build_reference(tmp: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q",
                    f"pymicro-features=={PMF_VERSION}", "-d", str(tmp)], check=True)
    with tarfile.open(next(tmp.glob("pymicro_features-*.tar.gz"))) as tf:
        tf.extractall(tmp, filter="data")
    root = next(p for p in tmp.iterdir() if p.is_dir() and p.name.startswith("pymicro_features"))
    lib = root / "tensorflow" / "lite" / "experimental" / "microfrontend" / "lib"
    objs = []
    for src in [lib / s for s in SOURCES] + [root / "kissfft" / "kiss_fft.cc",
                                             root / "kissfft" / "tools" / "kiss_fftr.cc"]:
        obj = tmp / (src.parent.name + "_" + src.stem + ".o")
        # As the wheel builds them (setup.py: C++ with -DFIXED_POINT=16), for the M33.
        subprocess.run(["arm-none-eabi-g++", *CFLAGS, "-DFIXED_POINT=16", "-fno-exceptions", "-fno-rtti",
                        f"-I{root}", f"-I{root / 'kissfft'}", "-c", str(src), "-o", str(obj)], check=True)
        objs.append(str(obj))
    main_cc = tmp / "micro_ref_m33.cc"
    main_cc.write_text('extern "C" {\n' + (HERE / "micro_ref_m33.c").read_text().replace(
        '#include "tensorflow', '}\n#include "tensorflow', 1).replace(
        '#include "tensorflow/lite/experimental/microfrontend/lib/frontend_util.h"\n',
        '#include "tensorflow/lite/experimental/microfrontend/lib/frontend_util.h"\nextern "C" {\n', 1) + "}\n")
    elf = tmp / "micro-ref.elf"
    subprocess.run(["arm-none-eabi-g++", *CFLAGS, "-fno-exceptions", "-fno-rtti", f"-I{root}", "-nostartfiles",
                    "--specs=nosys.specs", "-T", str(HERE / "micro_ref_m33.ld"), "-o", str(elf), str(main_cc),
                    *objs, "-lm"], check=True)
    return elf


def build_stapes(profile: str) -> Path:
    # Another profile name (inheriting `firmware`) keeps the build apart from other checkouts sharing the target
    # directory.
    extra = [] if profile == "firmware" else ["--config", f'profile.{profile}.inherits="firmware"']
    subprocess.run(["cargo", "build", *extra, "--profile", profile, "--target", TARGET, "-p",
                    "stapes-conformance-m33", "--bin", "m33-micro"], check=True, cwd=REPO)
    return target_dir() / TARGET / profile / "m33-micro"


def count(elf: Path, lib: Path) -> tuple[list[int], str, int]:
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], check=True, capture_output=True, text=True).stdout
    addr = {name: int(a, 16) for a, _, name in (l.split()[:3] for l in nm.splitlines() if len(l.split()) == 3)}
    arg = f"{lib},start={addr['stapes_bench_start'] & ~1:#x},stop={addr['stapes_bench_stop'] & ~1:#x}"
    out = subprocess.run(["qemu-system-arm", "-machine", "mps2-an505", "-cpu", "cortex-m33", "-nographic",
                          "-semihosting-config", "enable=on,target=native", "-kernel", str(elf), "-plugin", arg],
                         capture_output=True, text=True, timeout=300)
    windows = [int(m) for m in re.findall(r"stapes-count: window \d+: (\d+) instructions", out.stderr)]
    text = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True).stdout
    size = sum(int(l.split()[1]) for l in text.splitlines() if l.startswith(".text"))
    return windows, out.stdout.strip(), size


def main() -> int:
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else "firmware"
    lib = plugin()
    with tempfile.TemporaryDirectory() as t:
        ref_elf = build_reference(Path(t))
        ours_elf = build_stapes(profile)
        rows = []
        for name, elf in [("reference C (arm-none-eabi-gcc -O2)", ref_elf), ("stapes (firmware profile)", ours_elf)]:
            windows, stdout, text = count(elf, lib)
            if len(windows) != 3:
                print(f"{name}: expected 3 windows, got {windows}\n{stdout}", file=sys.stderr)
                return 1
            rows.append((name, windows[2] - windows[0], windows[1] - windows[0], stdout, text))
    checks = {re.sub(r"^# [^:]*: ", "", r[3].splitlines()[0]) for r in rows}
    for name, counted, warm, stdout, text in rows:
        print(f"{name:40s} {counted:>8,} instructions per frame (first frame {warm:,}); whole ELF .text {text:,} B")
        for line in stdout.splitlines():
            print(f"    {line}")
    print(f"stapes / reference: {rows[1][1] / rows[0][1]:.3f}")
    if len(checks) != 1:
        print("the two frames differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
