"""stapes against librosa, audioFlux, kaldi-native-fbank and faster-whisper's numpy front end, side by side in one
run on the same signals and parameters. One thread unless a row says otherwise (BLAS/OpenMP pools are pinned to
one thread before numpy loads).

    pip install ./pyext -r bench/requirements.txt   # into the venv of `cargo xtask install` (target/venv)
    python bench/bench.py [--repeat 9] [--markdown]

Each time is the best of ``--repeat`` runs after a warm-up call, the two sides of a row run in alternating blocks of
three (see ``side_by_side``); ratios are given on wall time (the targets) and on CPU time (steadier on a machine
shared with other work). Rows (issue 3's targets in the last column):

- 10 min of 16 kHz audio, 512/160/64 log-mel (librosa's conventions: Slaney mel, ``power_to_db`` with top_db 80):
  stapes vs librosa and vs audioFlux (``mel_spectrogram`` + ``power_to_db``); target ≥ 10×.
- whisper-80 on the same 10 min vs faster-whisper's ``FeatureExtractor`` (padding 0); target ≥ 10×.
- kaldi-fbank on the same 10 min vs kaldi-native-fbank's ``OnlineFbank`` (accept_waveform, then every frame, as
  Python callers use it); target ≥ 20×.
- 1000 clips of 1 s, one call per clip: stapes vs librosa; target ≥ 30×.
- A batch of 64 clips of 10 s on 2 cores vs the same batch on 1 core; target ≥ 1.7×.
"""

from __future__ import annotations

import os

_POOLS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
for _var in _POOLS:
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

import stapes  # noqa: E402
from stapes.compat import kaldi as stapes_kaldi  # noqa: E402
from stapes.compat import librosa as stapes_librosa  # noqa: E402
from stapes.compat import whisper as stapes_whisper  # noqa: E402

SR = 16000


def speechlike(seconds: float, seed: int) -> np.ndarray:
    """Deterministic test audio: a gliding harmonic tone with syllable-rate envelope over a noise floor."""
    rng = np.random.default_rng(seed)
    n = int(SR * seconds)
    t = np.arange(n) / SR
    f0 = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.1 * t) ** 2
    x = 0.2 * voiced * envelope + 0.01 * rng.standard_normal(n)
    return (x / np.abs(x).max() * 0.8).astype(np.float32)


def best(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Best wall time and best CPU time (this process, all threads) of ``runs`` consecutive runs."""
    walls, cpus = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def side_by_side(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> list[tuple[float, float]]:
    """Best (wall, CPU) time of ``ours`` and of ``theirs`` after a warm-up call of each, over ``repeat`` runs each
    (rounded up to whole blocks) taken in alternating blocks of three.

    A shared machine has slow spells lasting seconds. Runs that alternate meet the same spells, whereas all of one's
    runs then all of the other's can catch one side in a spell and not the other (librosa took 315 ms in one such
    run here and 450 ms in the next). Blocks rather than single calls in turn keep each library's allocator warm
    (single calls in turn made faster-whisper's numpy front end 2x slower).
    """
    calls = (ours, theirs)
    for call in calls:
        call()
    walls, cpus = [float("inf")] * 2, [float("inf")] * 2
    for _ in range(-(-repeat // 3)):
        for i, call in enumerate(calls):
            wall, cpu = best(call, 3)
            walls[i], cpus[i] = min(walls[i], wall), min(cpus[i], cpu)
    return [(walls[0], cpus[0]), (walls[1], cpus[1])]


def load_faster_whisper() -> Any:
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install --no-deps faster-whisper")
    path = Path(spec.origin).parent / "feature_extractor.py"
    module_spec = importlib.util.spec_from_file_location("_fw_feature_extractor", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def knf_fbank(y: np.ndarray) -> np.ndarray:
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = SR
    fbank = knf.OnlineFbank(opts)
    fbank.accept_waveform(SR, y * 32768)
    fbank.input_finished()
    return np.array([fbank.get_frame(i) for i in range(fbank.num_frames_ready)], dtype=np.float32)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{model}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def lanes() -> str:
    """The lane type stapes chose on this machine, how, and the timings it chose by."""
    c = stapes.info()["lanes"]
    timings = ", ".join(f"{k} {v:.0f} ns/frame" for k, v in c["ns_per_frame"].items())
    text = f"{c['chosen']} ({c['how']}" + (f": {timings}, in {c['measure_ms']:.1f} ms)" if timings else ")")
    return text + (f" [{c['note']}]" if c["note"] else "")


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description="stapes benchmark (issue 3)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import audioflux
    import librosa

    fw = load_faster_whisper()
    long = speechlike(60 * args.minutes, 0)
    clips = [speechlike(1.0, seed) for seed in range(1000)]
    batch = np.stack([speechlike(10.0, 2000 + seed) for seed in range(64)])

    logmel = stapes.Config.from_preset(
        "librosa-mel",
        sample_rate=SR,
        frames={"n_fft": 512, "win_length": 512, "hop_length": 160},
        mel={"n_mels": 64, "fmax": 8000.0},
    )
    stapes.Config.from_preset("whisper-80")
    fbank = stapes.Config.from_preset("kaldi-fbank")
    fe80 = fw.FeatureExtractor(feature_size=80)

    def compat_logmel_power(y: np.ndarray) -> np.ndarray:
        return stapes_librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=160, n_mels=64)

    def librosa_logmel(y: np.ndarray) -> np.ndarray:
        return librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=160, n_mels=64))

    def audioflux_logmel(y: np.ndarray) -> np.ndarray:
        spec, _ = audioflux.mel_spectrogram(y, num=64, radix2_exp=9, samplate=SR, slide_length=160)
        return audioflux.utils.power_to_db(spec)

    # (case, compared with, stapes wall, other wall, CPU-time ratio, target)
    rows: list[tuple[str, str, float, float, float, float]] = []

    def row(case: str, other: str, ours: Callable[[], Any], theirs: Callable[[], Any], target: float) -> None:
        (t_ours, c_ours), (t_theirs, c_theirs) = side_by_side(ours, theirs, args.repeat)
        rows.append((case, other, t_ours, t_theirs, c_theirs / c_ours, target))
        ratio = t_theirs / t_ours
        print(f"  {case} vs {other}: {t_ours * 1e3:.1f} ms vs {t_theirs * 1e3:.1f} ms = {ratio:.1f}x", flush=True)

    minutes = f"{args.minutes:g} min 16 kHz"
    print(f"machine: {machine()}")
    print(f"lanes: {lanes()}")
    row(
        f"{minutes}, 512/160/64 log-mel",
        "librosa",
        lambda: stapes.extract(long, logmel),
        lambda: librosa_logmel(long),
        10,
    )
    row(
        f"{minutes}, 512/160/64 log-mel",
        "audioFlux",
        lambda: stapes.extract(long, logmel),
        lambda: audioflux_logmel(long),
        10,
    )
    row(
        f"{minutes}, whisper-80",
        "faster-whisper numpy",
        lambda: stapes_whisper.log_mel_spectrogram(long),
        lambda: fe80(long, padding=0),
        10,
    )
    row(
        f"{minutes}, kaldi-fbank",
        "kaldi-native-fbank",
        lambda: stapes.extract(long, fbank),
        lambda: knf_fbank(long),
        20,
    )
    row(
        f"{minutes}, kaldi-fbank (compat.kaldi.fbank)",
        "kaldi-native-fbank",
        lambda: stapes_kaldi.fbank(long * np.float32(32768)),
        lambda: knf_fbank(long),
        20,
    )
    row(
        "1000 clips of 1 s, 512/160/64 log-mel, one call each",
        "librosa",
        lambda: [stapes.extract(c, logmel) for c in clips],
        lambda: [librosa_logmel(c) for c in clips],
        30,
    )
    # The librosa drop-in pair against the fused preset it equals bit for bit: its ratio is fused time / pair time,
    # so the target 1/1.2 means the pair takes at most 1.2 times the fused call.
    row(
        f"{minutes}, compat.librosa power_to_db(melspectrogram(...))",
        "stapes fused log-mel",
        lambda: stapes_librosa.power_to_db(compat_logmel_power(long)),
        lambda: stapes.extract(long, logmel),
        1 / 1.2,
    )
    row(
        "1000 clips of 1 s, compat.librosa power_to_db(melspectrogram(...))",
        "stapes fused log-mel",
        lambda: [stapes_librosa.power_to_db(compat_logmel_power(c)) for c in clips],
        lambda: [stapes.extract(c, logmel) for c in clips],
        1 / 1.2,
    )
    (t1, _), (t2, c2) = side_by_side(
        lambda: stapes.extract(batch, logmel, num_threads=1),
        lambda: stapes.extract(batch, logmel, num_threads=2),
        args.repeat,
    )
    # Its CPU-time column is how many cores the two threads kept busy (2.0: both, all the time).
    rows.append(("batch of 64 clips of 10 s, 2 threads", "stapes on 1 thread", t2, t1, c2 / t2, 1.7))
    print(f"  batch 64 x 10 s: 1 thread {t1 * 1e3:.1f} ms, 2 threads {t2 * 1e3:.1f} ms = {t1 / t2:.2f}x", flush=True)

    versions = ", ".join(
        f"{n} {version(n)}" for n in ("stapes", "numpy", "librosa", "audioflux", "kaldi-native-fbank", "faster-whisper")
    )
    print()
    if args.markdown:
        print(
            f"Machine: {machine()}; {versions}; lanes {lanes()}. Best of {args.repeat} runs, one thread unless "
            "stated.\n"
        )
        print("| case | compared with | stapes | other | ratio (wall) | ratio (CPU time) | target |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for case, other, ours, theirs, cpu, target in rows:
            ratio = theirs / ours
            mark = "" if ratio >= target else " (below)"
            cpu_text = f"{cpu:.2f} cores busy" if case.startswith("batch") else f"{cpu:.1f}×"
            print(
                f"| {case} | {other} | {ours * 1e3:.1f} ms | {theirs * 1e3:.1f} ms | {ratio:.1f}× | {cpu_text} | "
                f"≥ {target:.3g}×{mark} |"
            )
    else:
        print(f"{versions}; lanes {lanes()}; best of {args.repeat}")
        width = max(len(r[0]) + len(r[1]) for r in rows) + 4
        print(f"{'case':<{width}} {'stapes':>10} {'other':>10} {'ratio':>7} {'target':>7}")
        for case, other, ours, theirs, _cpu, target in rows:
            ratio = theirs / ours
            flag = "ok" if ratio >= target else "BELOW"
            print(
                f"{case + ' vs ' + other:<{width}} {ours * 1e3:>8.1f}ms {theirs * 1e3:>8.1f}ms {ratio:>6.1f}x "
                f"{target:>5.3g}x {flag}"
            )


if __name__ == "__main__":
    main()
