"""Shared fixtures: test signals, the reference packages, and the parity tolerances of the core's reference tests."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "core" / "tests" / "golden"


def _synth(kind: str, sr: int, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = round(sr * seconds)
    t = np.arange(n) / sr
    if kind == "noise":
        x = 0.3 * rng.standard_normal(n)
    elif kind in ("chirp", "chirpn"):
        x = 0.5 * np.sin(2 * np.pi * (100 * t + 0.5 * (sr / 2.5 - 100) / seconds * t**2))
        if kind == "chirpn":  # with a noise floor at about -70 dBFS, as recordings have
            x = x + 3e-4 * rng.standard_normal(n)
    elif kind == "tones":
        x = sum(0.2 / k * np.sin(2 * np.pi * 220 * k * t + k) for k in range(1, 9))
        x = x * (0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t)) + 3e-4 * rng.standard_normal(n)  # -70 dBFS floor
        x[: n // 10] = 0.0  # digital silence: exercises the log floors
    else:
        raise ValueError(kind)
    return (np.clip(x, -1, 1) * 32767).round().astype(np.float32) / np.float32(32768)


def signal(name: str) -> np.ndarray:
    """A named test signal, float32 in [-1, 1] on the int16 grid: ``speech16``, ``music22`` (the core's golden
    signals, 1 s) or ``noise16``, ``chirp22``, ``tones16``... (synthetic, 1.3 s)."""
    path = GOLDEN / f"sig_{name}.npy"
    if path.exists():
        return np.load(path).astype(np.float32)
    kind, sr = name[:-2], {"16": 16000, "22": 22050}[name[-2:]]
    return _synth(kind, sr, 1.3, seed=len(name))


@pytest.fixture(scope="session")
def faster_whisper_fe() -> ModuleType:
    """faster-whisper's numpy front end, loaded by path (its package ``__init__`` needs ``av``)."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        pytest.fail("faster-whisper is not installed (pip install --no-deps faster-whisper)")
    path = Path(spec.origin).parent / "feature_extractor.py"
    module_spec = importlib.util.spec_from_file_location("_fw_feature_extractor", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def masked_error(got: np.ndarray, want: np.ndarray, range_: float, axis: int = -2) -> float:
    """Largest |got − want| over cells whose reference is within ``range_`` (output units) of its frame's maximum;
    frames run along the other axis than ``axis`` (the feature axis)."""
    assert got.shape == want.shape, (got.shape, want.shape)
    top = want.max(axis=axis, keepdims=True)
    mask = want >= top - range_
    return float(np.abs(got.astype(np.float64) - want)[mask].max(initial=0.0))


def mfcc_error(got: np.ndarray, want: np.ndarray, lifter_gain: np.ndarray | None = None, axis: int = -2) -> float:
    """Worst error as a fraction of the MFCC tolerance: 5e-4 per 100 of the frame's largest coefficient (at least
    5e-4), times the coefficient's lifter gain."""
    assert got.shape == want.shape, (got.shape, want.shape)
    size = np.abs(want).max(axis=axis, keepdims=True)
    tol = 5e-4 * np.maximum(size / 100.0, 1.0)
    if lifter_gain is not None:
        shape = [1] * want.ndim
        shape[axis] = -1
        tol = tol * np.abs(lifter_gain).reshape(shape)
    return float((np.abs(got.astype(np.float64) - want) / tol).max(initial=0.0))


def librosa_lifter(n: int, lifter: float) -> np.ndarray:
    return 1 + (lifter / 2) * np.sin(np.pi * np.arange(1, n + 1) / lifter) if lifter > 0 else np.ones(n)


def kaldi_lifter(n: int, q: float) -> np.ndarray:
    return 1 + 0.5 * q * np.sin(np.pi * np.arange(n) / q) if q > 0 else np.ones(n)


#: 60 dB of power in natural-log units (Kaldi).
LN_60DB = 6 * math.log(10)
