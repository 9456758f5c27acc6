"""The GIL is released while the DSP runs: a Python thread keeps making progress during a long extraction.

The spinner thread timestamps its progress; a call that holds the GIL leaves no timestamps inside its own duration
(the control below proves the measurement detects it), one that releases it leaves them throughout.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import numpy as np
import pytest

import stapes
from stapes.compat import librosa as L

BINS = 20
MINUTES_16K = (0.1 * np.random.default_rng(0).standard_normal(16000 * 60 * 12)).astype(np.float32)


def progress_during(call: Callable[[], Any]) -> tuple[float, float]:
    """(fraction of the call's duration, in 1/20ths, during which another Python thread ran; the duration)."""
    stamps: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            stamps.append(time.perf_counter())
            sum(range(50))

    spinner = threading.Thread(target=spin)
    spinner.start()
    time.sleep(0.02)
    t0 = time.perf_counter()
    call()
    t1 = time.perf_counter()
    stop.set()
    spinner.join()
    covered = {int((s - t0) / (t1 - t0) * BINS) for s in stamps if t0 < s < t1}
    return len(covered) / BINS, t1 - t0


def test_the_measurement_detects_a_call_that_holds_the_gil() -> None:
    haystack = "a" * 200_000_000
    coverage, took = progress_during(lambda: haystack.count("ab"))  # C code that keeps the GIL throughout
    assert took > 0.02
    assert coverage <= 0.15, coverage


@pytest.mark.parametrize(
    "call",
    [
        lambda: stapes.extract(MINUTES_16K, "whisper-80"),
        lambda: stapes.extract(MINUTES_16K.reshape(8, -1), "kaldi-mfcc", num_threads=1),
        lambda: stapes.Extractor("yamnet").process(MINUTES_16K),
        lambda: L.stft(MINUTES_16K, n_fft=512, hop_length=256),
    ],
    ids=["extract", "batch", "stream", "librosa-stft"],
)
def test_extraction_releases_the_gil(call: Callable[[], Any]) -> None:
    coverage, took = progress_during(call)
    print(f"{took * 1000:.0f} ms, another thread ran in {coverage:.0%} of it")
    assert took > 0.02
    assert coverage >= 0.5, coverage
