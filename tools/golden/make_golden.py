#!/usr/bin/env python3
"""Generate the golden reference data that stapes presets are tested against.

Every reference array is computed by the real upstream package (librosa,
kaldi-native-fbank, faster-whisper's numpy FeatureExtractor, torchvggish's copy
of the published VGGish ``mel_features.py``).  Nothing that a package provides
is reimplemented here; this script only synthesises the test signals, calls the
packages and writes the results.

Usage:
    python tools/golden/make_golden.py [--out DIR]   # (re)generate
    python tools/golden/make_golden.py --check       # regenerate into a temp dir
                                                     # and compare with the
                                                     # committed files
Requirements (pinned in tools/golden/requirements.txt):
    pip install numpy librosa kaldi-native-fbank
    pip install --no-deps faster-whisper torchvggish==0.2
(``--no-deps``: faster-whisper's ``__init__`` needs ``av``/ctranslate2 and
torchvggish's needs torch; we load the two pure-numpy files by path instead.)

Output layout (default: <repo>/core/tests/golden):
    *.npy          float32, little-endian, C order (plain ``np.save``).
                   Feature matrices are (n_features, n_frames); signals are 1-D;
                   filter matrices are (n_mels, n_fft_bins).
    *.sparse.npy   large filter matrices as an (nnz, 3) float32 array of
                   [row, col, value] triplets (row-major order); the dense shape
                   is in manifest.json and files.txt.
    manifest.json  shape, generating call and parameters of every file, package
                   versions, sha256 of the loaded reference source files.
    files.txt      "name shape [dense=RxC]" per line (read by the Rust tests).
    README.md      human-readable table.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import platform
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "core" / "tests" / "golden"

# Filter matrices whose dense float32 size exceeds this are stored sparse.
SPARSE_THRESHOLD_BYTES = 100_000
# --check tolerance: atol = CHECK_REL * max|committed array|.
CHECK_REL = 1e-5

PACKAGES = ["numpy", "scipy", "librosa", "kaldi-native-fbank", "faster-whisper", "torchvggish"]


# ---------------------------------------------------------------------------
# Test signals (deterministic numpy; float64 synthesis, then int16-grid float32)
# ---------------------------------------------------------------------------


def _finish(x: np.ndarray, peak: float) -> np.ndarray:
    """Scale to `peak`, then round onto the int16 grid (k/32768) as float32.

    The int16 grid makes the Kaldi input (x * 32768) exact integers, like a
    16-bit wav file, and is exactly representable in float32.
    """
    x = x * (peak / np.max(np.abs(x)))
    q = np.clip(np.round(x * 32768.0), -32768, 32767)
    return (q / 32768.0).astype(np.float32)


def _resonator(x: np.ndarray, freq: np.ndarray, bw: np.ndarray, sr: int) -> np.ndarray:
    """Klatt-style 2-pole resonator with per-sample (time-varying) F and B.

    y[n] = A x[n] + B y[n-1] + C y[n-2], B = 2 r cos(theta), C = -r^2,
    A = 1 - B - C (unity gain at DC).
    """
    y = np.zeros_like(x)
    y1 = 0.0
    y2 = 0.0
    for n in range(x.shape[0]):
        r = math.exp(-math.pi * bw[n] / sr)
        b = 2.0 * r * math.cos(2.0 * math.pi * freq[n] / sr)
        c = -r * r
        a = 1.0 - b - c
        v = a * x[n] + b * y1 + c * y2
        y[n] = v
        y2 = y1
        y1 = v
    return y


def _hann_env(n: int) -> np.ndarray:
    return np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2


def gen_speech(sr: int, seed: int, dur: float = 1.0) -> np.ndarray:
    """Speech-like signal: glottal pulses (f0 100-220 Hz) through 3 time-varying
    formant resonators, syllable envelopes, fricative noise bursts, leading
    digital silence and a low noise floor in the pauses."""
    rng = np.random.default_rng(seed)
    n = int(round(sr * dur))
    t = np.arange(n) / sr

    # f0 contour: slow declination + vibrato-ish wander, 100..220 Hz.
    f0 = 160.0 + 55.0 * np.sin(2 * np.pi * 1.3 * t + 0.4) + 5.0 * np.sin(2 * np.pi * 5.1 * t)
    f0 = np.clip(f0, 100.0, 220.0)
    phase = np.cumsum(f0 / sr)
    pulses = np.zeros(n)
    idx = np.nonzero(np.diff(np.floor(phase)) > 0)[0] + 1
    pulses[idx] = 1.0
    # Glottal pulse shaping: two one-pole low-passes (~ -12 dB/oct tilt),
    # then differentiate (lip radiation, +6 dB/oct).
    g = pulses.copy()
    for _ in range(2):
        out = np.empty_like(g)
        acc = 0.0
        for k in range(n):
            acc = 0.95 * acc + g[k]
            out[k] = acc
        g = out
    g = np.diff(g, prepend=0.0)
    g += 0.02 * rng.standard_normal(n) * np.max(np.abs(g))  # aspiration

    # Formant targets per syllable (F1, F2, F3) and interpolation in time.
    knots_t = np.array([0.0, 0.10, 0.22, 0.34, 0.46, 0.60, 0.70, 0.82, 0.92, 1.0]) * dur
    f1_k = np.array([500, 700, 350, 650, 300, 750, 450, 600, 400, 500], dtype=float)
    f2_k = np.array([1500, 1200, 2100, 1000, 2200, 1300, 900, 1800, 2000, 1500], dtype=float)
    f3_k = np.array([2500, 2600, 2900, 2450, 3000, 2550, 2400, 2700, 2800, 2500], dtype=float)
    f1 = np.interp(t, knots_t, f1_k)
    f2 = np.interp(t, knots_t, f2_k)
    f3 = np.interp(t, knots_t, f3_k)
    v = _resonator(g, f1, np.full(n, 80.0), sr)
    v = _resonator(v, f2, np.full(n, 110.0), sr)
    v = _resonator(v, f3, np.full(n, 160.0), sr)
    v /= np.max(np.abs(v))

    # Syllable (voiced) envelopes, ~4 syllables per second.
    env = np.zeros(n)
    for (a, b, amp) in [(0.07, 0.27, 1.0), (0.33, 0.52, 0.8), (0.58, 0.75, 0.9), (0.80, 0.95, 0.6)]:
        i0, i1 = int(a * sr), int(b * sr)
        env[i0:i1] += amp * _hann_env(i1 - i0)
    x = v * env

    # Fricatives: high-passed noise bursts in the gaps.
    for (a, b, amp) in [(0.27, 0.33, 0.35), (0.52, 0.58, 0.25), (0.95, 0.99, 0.15)]:
        i0, i1 = int(a * sr), int(b * sr)
        noise = rng.standard_normal(i1 - i0 + 1)
        noise = np.diff(noise)  # first difference: high-pass tilt
        x[i0:i1] += amp * noise / 2.0 * _hann_env(i1 - i0)

    # Low noise floor (about -70 dBFS) everywhere after the leading silence.
    x += 3e-4 * rng.standard_normal(n)
    x[: int(0.06 * sr)] = 0.0  # exact digital silence: exercises the log floors
    out = _finish(x, 0.8)
    out[: int(0.06 * sr)] = 0.0
    return out


def gen_music(sr: int, seed: int, dur: float = 1.0) -> np.ndarray:
    """A few chords of harmonic tones with decaying envelopes, plus noise-burst
    percussion."""
    rng = np.random.default_rng(seed)
    n = int(round(sr * dur))
    t = np.arange(n) / sr
    x = np.zeros(n)
    chords = [
        (0.00, [261.63, 329.63, 392.00]),  # C major
        (0.34, [220.00, 261.63, 329.63, 440.00]),  # A minor
        (0.67, [174.61, 220.00, 261.63, 349.23]),  # F major
    ]
    for (onset, notes) in chords:
        tt = t - onset
        on = tt >= 0
        attack = np.clip(tt / 0.005, 0.0, 1.0)
        env = np.where(on, attack * np.exp(-np.maximum(tt, 0.0) / 0.30), 0.0)
        for f in notes:
            detune = 1.0 + 0.002 * rng.standard_normal()
            ph = rng.uniform(0, 2 * np.pi, size=8)
            for h in range(1, 9):
                fh = f * h * detune
                if fh >= 0.45 * sr:
                    break
                x += env * (0.6 / h) * np.exp(-0.15 * (h - 1)) * np.sin(2 * np.pi * fh * np.maximum(tt, 0.0) + ph[h - 1])
    # Percussion: noise bursts (hi-hat like) and a low thump.
    for k, onset in enumerate([0.0, 0.17, 0.34, 0.51, 0.67, 0.84]):
        i0 = int(onset * sr)
        m = min(n - i0, int(0.12 * sr))
        tt = np.arange(m) / sr
        burst = rng.standard_normal(m) * np.exp(-tt / 0.025)
        if k % 2 == 1:
            burst = np.diff(burst, prepend=0.0)  # brighter
        x[i0 : i0 + m] += 0.5 * burst
        if k % 2 == 0:  # thump: decaying 60->40 Hz sweep
            fsw = 60.0 - 20.0 * tt / 0.12
            x[i0 : i0 + m] += 1.2 * np.sin(2 * np.pi * np.cumsum(fsw) / sr) * np.exp(-tt / 0.05)
    return _finish(x, 0.85)


SIGNALS = {
    "speech16": (gen_speech, 16000, 1601),
    "music16": (gen_music, 16000, 1602),
    "speech22": (gen_speech, 22050, 2201),
    "music22": (gen_music, 22050, 2202),
}


# ---------------------------------------------------------------------------
# Loading the reference packages
# ---------------------------------------------------------------------------


def _pkg_file(pkg: str, rel: str, hint: str) -> Path:
    # find_spec on a top-level package does not execute its __init__.
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"make_golden: package {pkg!r} not installed; {hint}")
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.is_file():
        sys.exit(f"make_golden: {path} not found; {hint}")
    return path


def _load_by_path(modname: str, path: Path):
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_refs():
    fw_path = _pkg_file(
        "faster_whisper", "feature_extractor.py", "run: pip install --no-deps faster-whisper"
    )
    vg_path = _pkg_file(
        "torchvggish", "mel_features.py", "run: pip install --no-deps torchvggish==0.2"
    )
    fw = _load_by_path("fw_feature_extractor", fw_path)
    vg = _load_by_path("vggish_mel_features", vg_path)
    sources = {
        "faster_whisper/feature_extractor.py": _sha256(fw_path),
        "torchvggish/mel_features.py": _sha256(vg_path),
    }
    return fw, vg, sources


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = None
    return out


# ---------------------------------------------------------------------------
# Reference computations
# ---------------------------------------------------------------------------


class Sink:
    """Collects arrays + manifest entries."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.entries: list[dict] = []

    def add(self, name, arr, what, call, source=None, sparse_ok=False, notes=None):
        arr = np.asarray(arr)
        if not np.all(np.isfinite(arr)):
            raise RuntimeError(f"{name}: non-finite values")
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        entry = {"what": what, "call": call}
        if source:
            entry["input"] = source
        if notes:
            entry["notes"] = notes
        if sparse_ok and arr.nbytes > SPARSE_THRESHOLD_BYTES:
            rows, cols = np.nonzero(arr)
            trip = np.stack([rows.astype(np.float32), cols.astype(np.float32), arr[rows, cols]], axis=1)
            file = f"{name}.sparse.npy"
            entry.update(
                file=file,
                layout="sparse_coo",
                shape=list(trip.shape),
                dense_shape=list(arr.shape),
                nnz=int(trip.shape[0]),
            )
            self.arrays[file] = np.ascontiguousarray(trip, dtype=np.float32)
        else:
            file = f"{name}.npy"
            entry.update(file=file, layout="dense", shape=list(arr.shape))
            self.arrays[file] = arr
        # Put "file" first for readability.
        self.entries.append({"file": entry.pop("file"), **entry})


def compute(sink: Sink) -> dict:
    import kaldi_native_fbank as knf
    import librosa

    fw, vg, sources = load_refs()
    info: dict = {"sources_sha256": sources}

    sig = {}
    for name, (gen, sr, seed) in SIGNALS.items():
        y = gen(sr, seed)
        sig[name] = y
        kind = "speech-like" if name.startswith("speech") else "music-like"
        sink.add(
            f"sig_{name}",
            y,
            f"{kind} test signal, {sr} Hz, 1.0 s, peak {np.max(np.abs(y)):.3f}, int16 grid (k/32768)",
            f"tools/golden/make_golden.py:{gen.__name__}(sr={sr}, seed={seed})",
        )

    # --- Whisper (faster-whisper numpy FeatureExtractor) --------------------
    wdiff = {}
    for n_mels in (80, 128):
        fe = fw.FeatureExtractor(feature_size=n_mels)
        for s in ("speech16", "music16"):
            feat = fe(sig[s], padding=0)
            sink.add(
                f"whisper{n_mels}_{s}",
                feat,
                f"Whisper log-mel ({n_mels} bins): periodic hann 400, hop 160, center reflect pad, "
                "|.|^2, last frame dropped, Slaney mel, log10 clamp 1e-10, max-8 floor, (x+4)/4",
                f"faster_whisper.feature_extractor.FeatureExtractor(feature_size={n_mels})(y, padding=0)",
                source=f"sig_{s}.npy",
            )
        filt = fe.mel_filters
        with warnings.catch_warnings(record=True) as wlist:
            warnings.simplefilter("always")
            lib = librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels)
        d = float(np.max(np.abs(filt.astype(np.float64) - lib.astype(np.float64))))
        wdiff[n_mels] = {
            "max_abs_diff_vs_librosa": d,
            "max_abs_filter": float(np.max(np.abs(lib))),
            "librosa_warnings": [str(w.message) for w in wlist],
        }
        print(f"whisper mel filters {n_mels}: max |faster-whisper - librosa.filters.mel| = {d:.3e}")
        sink.add(
            f"whisper_melfb{n_mels}",
            filt,
            f"Whisper mel filter matrix ({n_mels} x 201), Slaney scale + Slaney norm, float32",
            f"faster_whisper.feature_extractor.FeatureExtractor(feature_size={n_mels}).mel_filters",
            sparse_ok=True,
            notes=f"max |diff| vs librosa.filters.mel(sr=16000, n_fft=400, n_mels={n_mels}) = {d:.3e}",
        )
    info["whisper_filter_vs_librosa"] = wdiff

    # --- librosa -------------------------------------------------------------
    for s in ("speech22", "music22"):
        y = sig[s]
        mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050))
        sink.add(
            f"librosa_mel_{s}",
            mel,
            "librosa log-power mel (dB): n_fft 2048, hop 512, hann, center constant pad, power 2, "
            "128 Slaney mels, power_to_db ref 1, amin 1e-10, top_db 80 (global max)",
            "librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050))",
            source=f"sig_{s}.npy",
        )
        mfcc = librosa.feature.mfcc(y=y, sr=22050)
        sink.add(
            f"librosa_mfcc_{s}",
            mfcc,
            "librosa MFCC: 20 coeffs, DCT-II ortho on power_to_db(melspectrogram), lifter 0",
            "librosa.feature.mfcc(y=y, sr=22050)",
            source=f"sig_{s}.npy",
        )
        scalar = [
            ("centroid", "librosa.feature.spectral_centroid(y=y, sr=22050)", librosa.feature.spectral_centroid,
             dict(y=y, sr=22050), "spectral centroid (Hz) of the magnitude STFT"),
            ("bandwidth", "librosa.feature.spectral_bandwidth(y=y, sr=22050)", librosa.feature.spectral_bandwidth,
             dict(y=y, sr=22050), "spectral bandwidth (p=2, norm=True) of the magnitude STFT"),
            ("rolloff", "librosa.feature.spectral_rolloff(y=y, sr=22050)", librosa.feature.spectral_rolloff,
             dict(y=y, sr=22050), "spectral rolloff (roll_percent 0.85, Hz) of the magnitude STFT"),
            ("flatness", "librosa.feature.spectral_flatness(y=y)", librosa.feature.spectral_flatness,
             dict(y=y), "spectral flatness of max(|STFT|^2, 1e-10)"),
            ("zcr", "librosa.feature.zero_crossing_rate(y)", librosa.feature.zero_crossing_rate,
             None, "zero-crossing rate, frame 2048, hop 512, center (edge padding)"),
            ("rms", "librosa.feature.rms(y=y)", librosa.feature.rms,
             dict(y=y), "time-domain RMS, frame 2048, hop 512, center constant pad"),
        ]
        for short, call, fn, kw, what in scalar:
            val = fn(y) if kw is None else fn(**kw)
            sink.add(f"librosa_{short}_{s}", val, f"librosa {what}", call, source=f"sig_{s}.npy")

    y = sig["speech22"]
    sink.add(
        "librosa_mfcc_lifter22_speech22",
        librosa.feature.mfcc(y=y, sr=22050, lifter=22),
        "librosa MFCC with lifter 22 (M[n] *= 1 + sin(pi(n+1)/22) * 11)",
        "librosa.feature.mfcc(y=y, sr=22050, lifter=22)",
        source="sig_speech22.npy",
    )
    mag = np.abs(librosa.stft(y))[:, :5]
    sink.add(
        "librosa_stftmag_speech22_f0to4",
        mag,
        "librosa |STFT| magnitude, frames 0..4 only (n_fft 2048, hop 512, hann, center constant pad)",
        "np.abs(librosa.stft(y))[:, :5]",
        source="sig_speech22.npy",
    )
    sink.add(
        "librosa_melfb_slaney_22050_2048_128",
        librosa.filters.mel(sr=22050, n_fft=2048),
        "librosa mel filter matrix: Slaney scale, Slaney norm, fmin 0, fmax 11025, 128 x 1025",
        "librosa.filters.mel(sr=22050, n_fft=2048)",
        sparse_ok=True,
    )
    sink.add(
        "librosa_melfb_htk_16000_512_40",
        librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, htk=True, norm=None),
        "librosa mel filter matrix: HTK scale, no norm (peak 1), triangles linear in Hz, 40 x 257",
        "librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, htk=True, norm=None)",
        sparse_ok=True,
    )

    # --- Kaldi (kaldi-native-fbank) -----------------------------------------
    def frame_opts(fo):
        fo.samp_freq = 16000.0
        fo.frame_length_ms = 25.0
        fo.frame_shift_ms = 10.0
        fo.dither = 0.0  # KNF default is 3e-05 (random!)
        fo.preemph_coeff = 0.97
        fo.remove_dc_offset = True
        fo.window_type = "povey"
        fo.round_to_power_of_two = True
        fo.blackman_coeff = 0.42
        fo.snip_edges = True

    def mel_opts(mo):
        mo.num_bins = 23
        mo.low_freq = 20.0
        mo.high_freq = 0.0
        mo.vtln_low = 100.0
        mo.vtln_high = -500.0
        mo.debug_mel = False
        mo.htk_mode = False
        mo.is_librosa = False

    fb_opts = knf.FbankOptions()
    frame_opts(fb_opts.frame_opts)
    mel_opts(fb_opts.mel_opts)
    fb_opts.use_energy = False
    fb_opts.energy_floor = 0.0
    fb_opts.raw_energy = True
    fb_opts.htk_compat = False
    fb_opts.use_log_fbank = True
    fb_opts.use_power = True
    fb_opts.use_log_floor = True
    mfcc_opts = knf.MfccOptions()
    frame_opts(mfcc_opts.frame_opts)
    mel_opts(mfcc_opts.mel_opts)
    mfcc_opts.num_ceps = 13
    mfcc_opts.use_energy = True  # Kaldi's MFCC default (set explicitly)
    mfcc_opts.energy_floor = 0.0
    mfcc_opts.raw_energy = True
    mfcc_opts.cepstral_lifter = 22.0
    mfcc_opts.htk_compat = False
    info["knf_fbank_options"] = fb_opts.as_dict()
    info["knf_mfcc_options"] = mfcc_opts.as_dict()

    def run_online(cls, opts, y):
        comp = cls(opts)
        comp.accept_waveform(16000.0, (y.astype(np.float64) * 32768.0).tolist())
        comp.input_finished()
        frames = [np.array(comp.get_frame(i), dtype=np.float32) for i in range(comp.num_frames_ready)]
        return np.stack(frames, axis=0).T  # (frames, bins) -> (bins, frames)

    for s in ("speech16", "music16"):
        sink.add(
            f"kaldi_fbank_{s}",
            run_online(knf.OnlineFbank, fb_opts, sig[s]),
            "Kaldi fbank: 23 log mel energies (natural log, floor FLT_EPSILON), 25/10 ms, povey, "
            "preemph 0.97, remove DC, 512-pt FFT, snip_edges, 20 Hz..Nyquist, dither 0, no energy",
            "knf.OnlineFbank(opts).accept_waveform(16000, y*32768); input_finished(); all frames; "
            "opts = manifest.knf_fbank_options",
            source=f"sig_{s}.npy (scaled by 32768)",
        )
        sink.add(
            f"kaldi_mfcc_{s}",
            run_online(knf.OnlineMfcc, mfcc_opts, sig[s]),
            "Kaldi MFCC: 13 ceps (C0 replaced by raw log-energy), lifter 22, 23 mel bins, same framing as fbank",
            "knf.OnlineMfcc(opts).accept_waveform(16000, y*32768); input_finished(); all frames; "
            "opts = manifest.knf_mfcc_options",
            source=f"sig_{s}.npy (scaled by 32768)",
        )
    kmat = knf.MelBanks(fb_opts.mel_opts, fb_opts.frame_opts, 1.0).get_matrix()
    sink.add(
        "kaldi_melfb_23",
        kmat,
        "Kaldi mel filter matrix (23 x 257): HTK mel, triangles linear in mel, peak 1, Nyquist column zero",
        "knf.MelBanks(fbank_opts.mel_opts, fbank_opts.frame_opts, 1.0).get_matrix()",
        sparse_ok=True,
    )

    # --- VGGish / YAMNet (published mel_features.py via torchvggish 0.2) ----
    common = dict(
        audio_sample_rate=16000,
        window_length_secs=0.025,
        hop_length_secs=0.010,
        num_mel_bins=64,
        lower_edge_hertz=125,
        upper_edge_hertz=7500,
    )
    kw = ", ".join(f"{k}={v}" for k, v in common.items())
    for model, off in (("vggish", 0.01), ("yamnet", 0.001)):
        for s in ("speech16", "music16"):
            lm = vg.log_mel_spectrogram(sig[s], log_offset=off, **common)
            sink.add(
                f"{model}_{s}",
                lm.T,
                f"{model} log-mel: ln(mel(|STFT|) + {off}), periodic hann 400, hop 160, 512-pt FFT, "
                "no centering (complete frames only), 64 HTK mels 125-7500 Hz linear in mel, DC zeroed",
                f"mel_features.log_mel_spectrogram(y, log_offset={off}, {kw}).T",
                source=f"sig_{s}.npy",
                notes="returned (frames, 64); transposed"
                + ("; YAMNet's TF graph computes the same math in float32" if model == "yamnet" else ""),
            )
    vmat = vg.spectrogram_to_mel_matrix(
        num_mel_bins=64, num_spectrogram_bins=257, audio_sample_rate=16000, lower_edge_hertz=125, upper_edge_hertz=7500
    )
    sink.add(
        "vggish_melfb_64",
        vmat.T,
        "VGGish/YAMNet mel matrix (64 x 257): HTK mel, triangles linear in mel, peak 1, DC column zero",
        "mel_features.spectrogram_to_mel_matrix(num_mel_bins=64, num_spectrogram_bins=257, "
        "audio_sample_rate=16000, lower_edge_hertz=125, upper_edge_hertz=7500).T",
        sparse_ok=True,
        notes="returned (257, 64) for S @ A; transposed to (n_mels, n_bins)",
    )
    return info


# ---------------------------------------------------------------------------
# Writing / checking
# ---------------------------------------------------------------------------


def shape_str(shape) -> str:
    return "x".join(str(int(d)) for d in shape)


def write_all(out: Path, sink: Sink, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for file, arr in sink.arrays.items():
        np.save(out / file, arr, allow_pickle=False)
    manifest = {
        "generator": "tools/golden/make_golden.py",
        "format": {
            "dtype": "float32 little-endian, C order, plain np.save (.npy v1)",
            "orientation": "features (n_features, n_frames); signals 1-D; filter matrices (n_mels, n_fft_bins)",
            "sparse_coo": "(nnz, 3) float32 [row, col, value], row-major order; dense shape in dense_shape",
        },
        "versions": versions(),
        **info,
        "files": sink.entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    lines = []
    for e in sink.entries:
        line = f"{e['file']} {shape_str(e['shape'])}"
        if e["layout"] == "sparse_coo":
            line += f" dense={shape_str(e['dense_shape'])}"
        lines.append(line)
    (out / "files.txt").write_text("\n".join(lines) + "\n")
    (out / "README.md").write_text(readme(sink, manifest))


def readme(sink: Sink, manifest: dict) -> str:
    v = manifest["versions"]
    total = sum(a.nbytes + 128 for a in sink.arrays.values())
    out = [
        "# Golden reference data",
        "",
        "Generated by `tools/golden/make_golden.py` with the real reference packages "
        "(nothing reimplemented). **Do not edit by hand.**",
        "",
        "Regenerate / verify (from the repo root):",
        "",
        "```sh",
        "pip install -r tools/golden/requirements.txt",
        "pip install --no-deps -r tools/golden/requirements-nodeps.txt  # faster-whisper, torchvggish",
        "python tools/golden/make_golden.py            # rewrite core/tests/golden/",
        "python tools/golden/make_golden.py --check    # regenerate in a temp dir and compare",
        "```",
        "",
        "Versions used: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        "Conventions:",
        "",
        "- All files are float32 little-endian `.npy` (v1). Feature matrices are `(n_features, n_frames)`; "
        "signals are 1-D; filter matrices are `(n_mels, n_fft_bins)`.",
        "- `*.sparse.npy` hold an `(nnz, 3)` array of `[row, col, value]` (row-major order); the dense shape "
        "is in the table, `files.txt` (`dense=RxC`) and `manifest.json`.",
        "- Signals are synthesised in numpy with fixed seeds and rounded to the int16 grid (`k/32768`). "
        "The first 60 ms of the speech signals are exact digital zeros (exercises the log floors).",
        "- **Kaldi inputs are the signal multiplied by 32768** (Kaldi's int16 sample scale); every other "
        "reference takes the [-1, 1] signal as is.",
        "- The Kaldi references use `dither = 0` (kaldi-native-fbank's default is 3e-05, i.e. random), "
        "and all other options are set explicitly; see `knf_*_options` in `manifest.json`.",
        "- Whisper: faster-whisper's numpy `FeatureExtractor` with `padding=0` (its default pads 160 zeros). "
        "Its stft computes 1 + len/160 = 101 frames and drops the last one: 100 frames per second. "
        "The `max - 8` floor is over the whole 1 s clip.",
        "- librosa `power_to_db(top_db=80)` (also inside `mfcc`) clamps against the global max of the clip.",
        "- VGGish/YAMNet use the published `mel_features.py` (shipped in torchvggish 0.2); "
        "only complete frames: 1 + (16000 - 400) // 160 = 98, the same as Kaldi's `snip_edges`.",
        "- faster-whisper computes in float32 (float32 window, complex64 STFT), unlike librosa's float32-in/"
        "float64-filter path and mel_features' float64 path; compare Whisper outputs with a float32-level tolerance.",
        "- `kaldi_mfcc_*`: C0 is the raw log-energy (`use_energy=true`, `raw_energy=true`: energy of the "
        "DC-removed frame before pre-emphasis/window), C1..C12 are liftered (22) ortho DCT-II of the 23 log "
        "mel energies. kaldi-native-fbank stores float options as float32 (e.g. preemph 0.9700000286).",
        "- Exactly silent frames: Kaldi fbank = ln(FLT_EPSILON) = -15.9424; librosa centroid/bandwidth/rolloff "
        "= 0, flatness = 1, zcr = 0; Whisper/librosa dB hit the global floors.",
        "- `kaldi_melfb_23` has 257 columns with the Nyquist column zero; `vggish_melfb_64` has the DC column "
        "zero (transposed from mel_features' `(257, 64)`).",
        "- YAMNet: its TF graph (`tf.signal.stft` + `linear_to_mel_weight_matrix`) is the same math as "
        "`mel_features.py` evaluated in float32; the reference here is the numpy (float64) evaluation "
        "with YAMNet's `log_offset=0.001`.",
        f"- Total size: about {total / 1024:.0f} KiB.",
        "",
        "| file | what | shape | reference call (input) |",
        "|---|---|---|---|",
    ]
    for e in sink.entries:
        shape = f"`{shape_str(e['shape'])}`"
        if e["layout"] == "sparse_coo":
            shape += f" (sparse, dense `{shape_str(e['dense_shape'])}`)"
        call = "`" + e["call"].replace("|", "\\|") + "`"
        if "input" in e:
            call += f" (input `{e['input']}`)"
        what = e["what"].replace("|", "\\|")
        out.append(f"| `{e['file']}` | {what} | {shape} | {call} |")
    out.append("")
    wd = manifest.get("whisper_filter_vs_librosa", {})
    if wd:
        out.append(
            "Whisper filters vs `librosa.filters.mel(sr=16000, n_fft=400, n_mels=N)`: "
            + ", ".join(f"N={k}: max abs diff {val['max_abs_diff_vs_librosa']:.3e}" for k, val in wd.items())
            + "."
        )
        out.append("")
    return "\n".join(out)


def _dense(arr: np.ndarray, entry: dict) -> np.ndarray:
    if entry["layout"] != "sparse_coo":
        return arr.astype(np.float64)
    d = np.zeros(entry["dense_shape"], dtype=np.float64)
    d[arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)] = arr[:, 2]
    return d


def check(committed: Path, fresh: Path) -> int:
    mf = committed / "manifest.json"
    if not mf.is_file():
        print(f"CHECK FAILED: {mf} missing; run make_golden.py first")
        return 1
    old = json.loads(mf.read_text())
    new = json.loads((fresh / "manifest.json").read_text())
    bad = []
    if old["versions"] != new["versions"]:
        print(f"note: package versions differ\n  committed: {old['versions']}\n  installed: {new['versions']}")
    old_files = {e["file"]: e for e in old["files"]}
    new_files = {e["file"]: e for e in new["files"]}
    for f in sorted(set(old_files) ^ set(new_files)):
        bad.append(f"{f}: present in only one of committed/regenerated ({'committed' if f in old_files else 'regenerated'})")
    for f in sorted(set(old_files) & set(new_files)):
        eo, en = old_files[f], new_files[f]
        p = committed / f
        if not p.is_file():
            bad.append(f"{f}: listed in manifest but missing on disk")
            continue
        a = np.load(p, allow_pickle=False)
        b = np.load(fresh / f, allow_pickle=False)
        if a.dtype != np.float32:
            bad.append(f"{f}: committed dtype {a.dtype}, expected float32")
            continue
        if list(a.shape) != eo["shape"]:
            bad.append(f"{f}: committed shape {list(a.shape)} != manifest {eo['shape']}")
            continue
        da, db = _dense(a, eo), _dense(b, en)
        if da.shape != db.shape:
            bad.append(f"{f}: shape {da.shape} (committed) vs {db.shape} (regenerated)")
            continue
        scale = float(np.max(np.abs(da))) if da.size else 0.0
        atol = CHECK_REL * max(scale, 1e-30)
        err = float(np.max(np.abs(da - db))) if da.size else 0.0
        if not err <= atol:
            bad.append(f"{f}: max abs diff {err:.3e} > atol {atol:.3e} (= {CHECK_REL} * max|x| {scale:.3e})")
        if eo.get("call") != en.get("call"):
            bad.append(f"{f}: generating call changed: {eo.get('call')!r} -> {en.get('call')!r}")
    for aux in ("files.txt", "README.md"):
        if aux == "README.md" and old["versions"] != new["versions"]:
            continue  # README embeds the versions
        p = committed / aux
        if not p.is_file() or p.read_text() != (fresh / aux).read_text():
            bad.append(f"{aux}: missing or differs from the regenerated one")
    if bad:
        print(f"CHECK FAILED: {len(bad)} problem(s) in {committed}:")
        for b in bad:
            print("  " + b)
        return 1
    print(f"check OK: {len(new_files)} files in {committed} match a fresh regeneration (atol {CHECK_REL} * max|x|)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare with --out")
    args = ap.parse_args()
    np.seterr(all="ignore")  # librosa/log floors; non-finite outputs are rejected explicitly

    sink = Sink()
    info = compute(sink)
    if args.check:
        with tempfile.TemporaryDirectory() as td:
            write_all(Path(td), sink, info)
            return check(args.out, Path(td))
    write_all(args.out, sink, info)
    total = sum((args.out / f).stat().st_size for f in sink.arrays)
    print(f"wrote {len(sink.arrays)} arrays ({total / 1024:.0f} KiB) + manifest.json, files.txt, README.md to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
