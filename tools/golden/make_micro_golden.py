#!/usr/bin/env python3
"""Generate the golden data the TFLite Micro front end (stapes' `micro` pipeline) is tested against, u16 for u16.

Two references, both the real C code:
  * pymicro-features 2.0.2 (PyPI wheel), fed 160 samples a call as microWakeWord feeds it: the
    `micro-wakeword` preset on every test signal.
  * the same C sources from the pymicro-features sdist (downloaded with pip at generation time, never committed),
    built with `micro_harness.c` beside this script: every parameter set pymicro-features cannot set, and the
    preset again (which must agree with the wheel, or the harness is not the reference).

Usage:
    python tools/golden/make_micro_golden.py [--out DIR]   # (re)generate
    python tools/golden/make_micro_golden.py --check       # regenerate into a temp dir, compare with the
                                                           # committed files (exactly: these are integers)
Requirements: tools/golden/requirements.txt (numpy, scipy, pymicro-features), espeak-ng, a C/C++ compiler (g++),
pip (for the sdist).

Output layout (default: <repo>/core/tests/golden/micro):
    sig_<name>.npy    int16 test signals at 16 kHz (np.save).
    pmf_<name>.npy    uint16 (n_frames, 40): pymicro-features' output for sig_<name> (its floats / 0.0390625).
    manifest.json     every case: signal, config (stapes' MicroConfig JSON), frame count, FNV-1a 64 of the
                      u16 little-endian bytes; the 10-minute signal's recipe; versions; sdist sha256.
Large outputs (the 10-minute signal, the parameter sets) are stored as frame count + hash only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import wave
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "core" / "tests" / "golden" / "micro"
HARNESS = Path(__file__).resolve().parent / "micro_harness.c"
SR = 16_000
PMF_VERSION = "2.0.2"
# pymicro-features' FLOAT32_SCALE: its floats are u16 × this, exactly.
FLOAT_SCALE = 0.0390625
SPEECH_TEXT = "Okay Nabu. Turn on the kitchen lights, and set a timer for seven minutes."

# The micro-wakeword preset, in stapes' MicroConfig JSON form (core/src/preset.rs; pymicro-features' init_cfg).
PRESET = dict(
    sample_rate=16000, window_ms=30, step_ms=10, channels=40, lower_band_hz=125.0, upper_band_hz=7500.0,
    smoothing_bits=10, even_smoothing=0.025, odd_smoothing=0.06, min_signal_remaining=0.05,
    enable_pcan=True, pcan_strength=0.95, pcan_offset=80.0, gain_bits=21, enable_log=True, scale_shift=6,
    output="u16",
)


def param_sets() -> list[tuple[str, dict]]:
    """Parameter sets beyond the preset: channels, band edges, windows and rates, PCAN off, log off, smoothing."""
    p = PRESET
    sets = [
        ("preset", {}),
        ("micro_speech", dict(step_ms=20)),
        ("ch8", dict(channels=8)),
        ("ch16", dict(channels=16)),
        ("ch32_defaults", dict(channels=32, window_ms=25)),
        ("ch64", dict(channels=64)),
        ("band_20_4000", dict(lower_band_hz=20.0, upper_band_hz=4000.0)),
        ("band_300_3400", dict(lower_band_hz=300.0, upper_band_hz=3400.0, channels=24)),
        ("band_0_7900", dict(lower_band_hz=0.0, upper_band_hz=7900.0)),
        ("pcan_off", dict(enable_pcan=False)),
        ("log_off", dict(enable_log=False)),
        ("pcan_off_log_off", dict(enable_pcan=False, enable_log=False)),
        ("smoothing_bits_5", dict(smoothing_bits=5)),
        ("smoothing_bits_14", dict(smoothing_bits=14)),
        ("smoothing_even_odd", dict(even_smoothing=0.2, odd_smoothing=0.001, min_signal_remaining=0.3)),
        ("smoothing_zero", dict(even_smoothing=0.0, odd_smoothing=1.0, min_signal_remaining=0.0)),
        ("pcan_strength_offset", dict(pcan_strength=0.5, pcan_offset=10.0)),
        ("pcan_gain_bits_16", dict(gain_bits=16)),
        ("scale_shift_0", dict(scale_shift=0)),
        ("scale_shift_9", dict(scale_shift=9)),
        ("window_64_32", dict(window_ms=64, step_ms=32, channels=48)),
        ("window_20_20", dict(window_ms=20, step_ms=20)),
        ("rate_8k", dict(sample_rate=8000, upper_band_hz=3800.0, channels=20)),
        ("rate_32k", dict(sample_rate=32000, upper_band_hz=15000.0, window_ms=25, channels=64)),
        ("rate_22050", dict(sample_rate=22050, window_ms=40, step_ms=15, upper_band_hz=10000.0)),
    ]
    return [(name, {**p, **over}) for name, over in sets]


# ---------------------------------------------------------------------------
# Signals (int16, 16 kHz)
# ---------------------------------------------------------------------------


def _i16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def speech() -> np.ndarray:
    """espeak-ng speech, resampled from its 22050 Hz to 16 kHz, peak at -3 dBFS."""
    from scipy.signal import resample_poly

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), SPEECH_TEXT], check=True)
        with wave.open(str(wav)) as w:
            rate = w.getframerate()
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    g = np.gcd(rate, SR)
    y = resample_poly(x, SR // g, rate // g)
    return _i16(y * (0.7 * 32767 / np.max(np.abs(y))))


def signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(24)
    t1 = np.arange(SR) / SR
    t2 = np.arange(2 * SR) / SR
    chirp_phase = 2 * np.pi * (100 * t2 + (7900 - 100) / (2 * 2.0) * t2**2)
    clip = np.concatenate([
        4.0 * 32767 * np.sin(2 * np.pi * 300 * t1[: SR // 2]),  # hard-clipped sine
        np.where(np.sin(2 * np.pi * 50 * t1[: SR // 2]) >= 0, 32767.0, -32768.0),  # full-scale square, -32768
    ])
    dc = np.concatenate([np.full(SR // 2, 12000.0), np.full(SR // 2, -20000.0)])
    dc += 200 * np.sin(2 * np.pi * 1000 * t1)
    quiet = rng.integers(-2, 3, 2 * SR).astype(np.float64) + 3 * np.sin(2 * np.pi * 700 * t2)
    return {
        "speech": speech(),
        "noise": _i16(rng.standard_normal(SR) * 3000),
        "silence": np.zeros(SR, dtype=np.int16),
        "tones": _i16(6000 * np.sin(2 * np.pi * 440 * t1) + 3000 * np.sin(2 * np.pi * 1000 * t1)
                      + 1500 * np.sin(2 * np.pi * 3000 * t1)),
        "chirp": _i16(16000 * np.sin(chirp_phase)),
        "clipping": _i16(clip),
        "dc": _i16(dc),
        "quiet": _i16(quiet),
    }


def long_signal(speech_sig: np.ndarray, minutes: int = 10) -> np.ndarray:
    """Ten minutes, integer arithmetic only so the Rust test rebuilds it bit for bit (core/tests/micro.rs):
    x[n] = clamp((speech[n % L] · env(n)) >> 8 + noise(n)), env a 7 s triangle 0..512, noise a counter hash."""
    n = np.arange(minutes * 60 * SR, dtype=np.int64)
    t = n % 112_000
    env = np.where(t < 56_000, t * 512 // 56_000, (112_000 - t) * 512 // 56_000)
    noise = ((n * 2_654_435_761) % (1 << 32) >> 22) - 512
    x = (speech_sig.astype(np.int64)[n % len(speech_sig)] * env >> 8) + noise
    return np.clip(x, -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


def fnv1a64(u16: np.ndarray) -> str:
    h = 0xCBF29CE484222325
    for b in np.ascontiguousarray(u16, dtype="<u2").tobytes():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def pymicro(sig: np.ndarray) -> np.ndarray:
    """pymicro-features as microWakeWord drives it: 160 samples (320 bytes) a call, while a whole chunk is left."""
    from pymicro_features import MicroFrontend

    fe = MicroFrontend()
    raw = sig.astype("<i2").tobytes()
    frames = []
    for i in range(0, len(raw) - 319, 320):
        out = fe.process_samples(raw[i : i + 320])
        assert out.samples_read == 160
        if out.features:
            frames.append(out.features)
    f = np.array(frames, dtype=np.float64).reshape(-1, 40)
    u = np.rint(f / FLOAT_SCALE)
    assert np.array_equal(u * FLOAT_SCALE, f), "pymicro-features' floats are not u16 × 0.0390625"
    return u.astype(np.uint16)


def build_harness(tmp: Path) -> tuple[Path, str]:
    """pip-download the sdist, build the front end's C sources (as its setup.py lists them) with the harness."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q",
                    f"pymicro-features=={PMF_VERSION}", "-d", str(tmp)], check=True)
    sdist = next(tmp.glob("pymicro_features-*.tar.gz"))
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp, filter="data")
    root = next(p for p in tmp.iterdir() if p.is_dir() and p.name.startswith("pymicro_features"))
    lib = root / "tensorflow" / "lite" / "experimental" / "microfrontend" / "lib"
    names = ["kiss_fft_int16.cc", "fft.cc", "fft_util.cc", "filterbank.cc", "filterbank_util.cc", "frontend.cc",
             "frontend_util.cc", "log_lut.cc", "log_scale.cc", "log_scale_util.cc", "noise_reduction.cc",
             "noise_reduction_util.cc", "pcan_gain_control.cc", "pcan_gain_control_util.cc", "window.cc",
             "window_util.cc"]
    srcs = [str(lib / n) for n in names] + [str(root / "kissfft" / "kiss_fft.cc"),
                                           str(root / "kissfft" / "tools" / "kiss_fftr.cc")]
    harness_cc = tmp / "micro_harness.cc"
    harness_cc.write_text('extern "C" {\n' + HARNESS.read_text().split("#include <stdint.h>\n", 1)[0]
                          + "#include <stdint.h>\n}\n" + HARNESS.read_text().split("#include <stdint.h>\n", 1)[1])
    exe = tmp / "micro_harness"
    # The wheel's flags (setup.py: -DFIXED_POINT=16), no -march: no FMA contraction, as the x86_64 wheel.
    subprocess.run(["g++", "-O2", "-DFIXED_POINT=16", f"-I{root}", f"-I{root / 'kissfft'}", "-o", str(exe),
                    str(harness_cc), *srcs, "-lm"], check=True)
    return exe, digest


def harness(exe: Path, sig: np.ndarray, cfg: dict, chunk: int, tmp: Path) -> np.ndarray:
    pcm = tmp / "pcm.raw"
    pcm.write_bytes(sig.astype("<i2").tobytes())
    args = [str(exe), str(pcm), str(cfg["sample_rate"]), str(chunk)] + [
        str(int(v)) if isinstance(v, bool) else str(v)
        for v in (cfg["window_ms"], cfg["step_ms"], cfg["channels"], cfg["lower_band_hz"], cfg["upper_band_hz"],
                  cfg["smoothing_bits"], cfg["even_smoothing"], cfg["odd_smoothing"], cfg["min_signal_remaining"],
                  cfg["enable_pcan"], cfg["pcan_strength"], cfg["pcan_offset"], cfg["gain_bits"],
                  cfg["enable_log"], cfg["scale_shift"])
    ]
    out = subprocess.run(args, check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype="<u2").reshape(-1, cfg["channels"])


def versions() -> dict:
    v = {p: importlib.metadata.version(p) for p in ["numpy", "scipy", "pymicro-features"]}
    v["espeak-ng"] = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()
    v["g++"] = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    v["python"] = platform.python_version()
    v["machine"] = platform.machine()
    return v


def generate(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sigs = signals()
    cases = []
    total = 0
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        exe, sdist_sha = build_harness(tmp)
        for name, sig in sigs.items():
            np.save(out / f"sig_{name}.npy", sig)
            ref = pymicro(sig)
            # The harness must be the reference: the wheel and the sdist build agree on the preset.
            via_c = harness(exe, sig, PRESET, 160, tmp)
            assert np.array_equal(ref, via_c), f"{name}: harness differs from pymicro-features"
            np.save(out / f"pmf_{name}.npy", ref)
            cases.append(dict(name=f"pmf_{name}", reference="pymicro-features", signal=name, config=PRESET,
                              frames=int(ref.shape[0]), fnv1a64=fnv1a64(ref)))
            total += ref.shape[0]
        long = long_signal(sigs["speech"])
        ref = pymicro(long)
        cases.append(dict(name="pmf_long", reference="pymicro-features", signal="long", config=PRESET,
                          frames=int(ref.shape[0]), fnv1a64=fnv1a64(ref)))
        total += ref.shape[0]
        # Parameter sets: the signals one after another (as raw int16 at each set's rate), chunked oddly.
        mix = np.concatenate([sigs[k] for k in ["speech", "chirp", "noise", "quiet", "clipping", "dc", "silence",
                                                 "tones"]])
        for name, cfg in param_sets():
            ref = harness(exe, mix, cfg, 97, tmp)
            cases.append(dict(name=f"c_{name}", reference="sdist C", signal="mix", config=cfg,
                              frames=int(ref.shape[0]), fnv1a64=fnv1a64(ref)))
            total += ref.shape[0]
    manifest = dict(
        generator="tools/golden/make_micro_golden.py",
        mix=["speech", "chirp", "noise", "quiet", "clipping", "dc", "silence", "tones"],
        long="10 min: clamp((speech[n % L] * env(n)) >> 8 + noise(n)); env(n) = t < 56000 ? t*512/56000 : "
             "(112000-t)*512/56000 with t = n % 112000; noise(n) = ((n*2654435761) mod 2^32 >> 22) - 512",
        frames_total=int(total),
        sdist_sha256=sdist_sha,
        versions=versions(),
        cases=cases,
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(cases)} cases, {total} frames -> {out}")


def check() -> int:
    with tempfile.TemporaryDirectory() as tmpd:
        fresh = Path(tmpd) / "micro"
        generate(fresh)
        bad = 0
        old = json.loads((DEFAULT_OUT / "manifest.json").read_text())
        new = json.loads((fresh / "manifest.json").read_text())
        if old["cases"] != new["cases"]:
            print("manifest cases differ")
            bad += 1
        for f in sorted(fresh.glob("*.npy")):
            a, b = np.load(f), np.load(DEFAULT_OUT / f.name)
            if a.dtype != b.dtype or not np.array_equal(a, b):
                print(f"{f.name} differs")
                bad += 1
        print("ok" if bad == 0 else f"{bad} differences")
        return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if a.check:
        return check()
    generate(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
