"""Bad input: every case gets a clear exception (or, where stapes accepts it by design, the right answer), never a
crash or a hang.

Policy: NaN/Inf samples raise ``NonFiniteError`` (a ``ValueError``) naming the first bad sample, never propagate;
float16/32/64 are converted, int16 is scaled by 1/32768, any other dtype is a ``TypeError``; non-contiguous and
byte-swapped arrays are copied; shapes other than 1-D/2-D and empty audio are ``ValueError``s; config problems are
``ConfigError``s naming the field; outputs over 2^31 values are refused before any work.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import stapes
from stapes.compat import kaldi, whisper
from stapes.compat import librosa as L

Y = (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32)


def _with(value: float, at: int, dtype: Any = np.float32) -> np.ndarray:
    y = Y.astype(dtype)
    y[at] = value
    return y


def _batch_with_nan(row: int) -> np.ndarray:
    b = np.stack([Y, Y, Y])
    b[row, 5] = np.nan
    return b


def _absurd_output() -> Any:
    cfg = stapes.Config.from_preset("yamnet", mel=None, log="none", frames={"hop_length": 1})
    return stapes.extract(np.zeros(10_000_000, np.float32), cfg)


def _stream_2d() -> Any:
    return stapes.Extractor("yamnet").process(np.zeros((2, 100), np.float32))


# (case, call, exception, message pattern)
RAISES: list[tuple[str, Callable[[], Any], type[BaseException], str]] = [
    ("nan", lambda: stapes.extract(_with(np.nan, 100), "yamnet"), stapes.NonFiniteError, "sample 100"),
    ("+inf", lambda: stapes.extract(_with(np.inf, 0), "yamnet"), stapes.NonFiniteError, "sample 0 "),
    ("-inf last", lambda: stapes.extract(_with(-np.inf, 15999), "kaldi-fbank"), stapes.NonFiniteError, "15999"),
    ("nan float64", lambda: stapes.extract(_with(np.nan, 7, np.float64), "whisper-80"), stapes.NonFiniteError, "7"),
    ("float64 overflow", lambda: stapes.extract(_with(1e300, 3, np.float64), "yamnet"), stapes.NonFiniteError, "3"),
    ("nan in batch", lambda: stapes.extract(_batch_with_nan(2), "yamnet"), stapes.NonFiniteError, "batch item 2"),
    ("nan in list", lambda: stapes.extract([Y, _with(np.nan, 1)], "yamnet"), stapes.NonFiniteError, "batch item 1"),
    ("empty", lambda: stapes.extract(np.zeros(0, np.float32), "yamnet"), ValueError, "empty"),
    ("empty list", lambda: stapes.extract([], "yamnet"), ValueError, "empty"),
    ("empty batch rows", lambda: stapes.extract(np.zeros((0, 100), np.float32), "yamnet"), ValueError, "empty"),
    ("empty batch cols", lambda: stapes.extract(np.zeros((3, 0), np.float32), "yamnet"), ValueError, "empty"),
    ("empty list item", lambda: stapes.extract([Y, Y[:0]], "yamnet"), ValueError, "batch item 1 is empty"),
    ("int32", lambda: stapes.extract(Y.astype(np.int32), "yamnet"), TypeError, "int32"),
    ("int64", lambda: stapes.extract(np.zeros(100, np.int64), "yamnet"), TypeError, "int64"),
    ("uint8", lambda: stapes.extract(np.zeros(100, np.uint8), "yamnet"), TypeError, "uint8"),
    ("complex", lambda: stapes.extract(Y.astype(np.complex64), "yamnet"), TypeError, "complex64"),
    ("bool", lambda: stapes.extract(Y > 0, "yamnet"), TypeError, "bool"),
    ("strings", lambda: stapes.extract(np.array(["a", "b"]), "yamnet"), TypeError, "dtype"),
    ("bytes", lambda: stapes.extract(b"\x00\x01", "yamnet"), TypeError, "dtype"),
    ("None", lambda: stapes.extract(None, "yamnet"), TypeError, "object"),
    ("3-D", lambda: stapes.extract(np.zeros((2, 2, 100), np.float32), "yamnet"), ValueError, "3-D"),
    ("0-D", lambda: stapes.extract(np.float32(0.5), "yamnet"), ValueError, "0-D"),
    ("sample rate refused", lambda: stapes.extract(Y, "yamnet", sr=44100, resample=False), ValueError, "44100 Hz"),
    ("sample rate 96 kHz", lambda: stapes.extract(Y, "yamnet", sr=96000), ValueError, "96000 Hz to 16000 Hz"),
    ("sample rate 0", lambda: stapes.extract(Y, "yamnet", sr=0), ValueError, "0 Hz to 16000 Hz"),
    ("sample rate fraction", lambda: stapes.extract(Y, "yamnet", sr=44100.5), ValueError, "whole number"),
    ("n_fft 10^9", lambda: stapes.Config.from_preset("yamnet", frames={"n_fft": 10**9}), stapes.ConfigError, "n_fft"),
    ("hop 0", lambda: stapes.Config.from_preset("yamnet", frames={"hop_length": 0}), stapes.ConfigError, "hop_length"),
    ("n_mels 10^6", lambda: stapes.Config.from_preset("yamnet", mel={"n_mels": 10**6}), stapes.ConfigError, "n_mels"),
    ("output > 2^31 values", _absurd_output, ValueError, "GiB"),
    ("unknown preset", lambda: stapes.extract(Y, "whisper"), stapes.ConfigError, "unknown preset"),
    ("num_threads 0", lambda: stapes.extract(np.stack([Y, Y]), "yamnet", num_threads=0), ValueError, "num_threads"),
    ("stream 2-D chunk", _stream_2d, ValueError, "1-D"),
    ("stream nan", lambda: stapes.Extractor("yamnet").process(_with(np.nan, 9)), stapes.NonFiniteError, "9"),
    ("stream whisper", lambda: stapes.Extractor("whisper-80"), stapes.NotStreamableError, "normalize"),
    ("stream int32", lambda: stapes.Extractor("yamnet").process(np.zeros(10, np.int32)), TypeError, "int32"),
    ("librosa n_fft 10^9", lambda: L.stft(Y, n_fft=10**9), stapes.ConfigError, "n_fft"),
    ("librosa hop -1", lambda: L.stft(Y, hop_length=-1), ValueError, "hop_length"),
    ("librosa no y", lambda: L.feature.melspectrogram(sr=16000), ValueError, "y"),
    ("librosa nan", lambda: L.feature.mfcc(y=_with(np.nan, 4)), stapes.NonFiniteError, "4"),
    ("librosa bad kwarg", lambda: L.feature.melspectrogram(y=Y, n_melz=3), TypeError, "n_melz"),
    ("librosa short uncentred", lambda: L.stft(Y[:100], center=False), ValueError, "too large"),
    ("whisper padding -1", lambda: whisper.log_mel_spectrogram(Y, padding=-1), ValueError, "padding"),
    ("whisper 3-D", lambda: whisper.log_mel_spectrogram(np.zeros((1, 1, 10))), ValueError, "shape"),
    ("kaldi too short", lambda: kaldi.fbank(Y[:100] * 32768), ValueError, "window size"),
    ("kaldi 3-D", lambda: kaldi.mfcc(np.zeros((1, 1, 1000), np.float32)), ValueError, "shape"),
    ("kaldi nan", lambda: kaldi.fbank(_with(np.nan, 123)), stapes.NonFiniteError, "123"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in RAISES], ids=[c[0] for c in RAISES])
def test_raises_a_clear_exception(call: Callable[[], Any], error: type[BaseException], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_non_finite_error_attributes() -> None:
    with pytest.raises(stapes.NonFiniteError) as info:
        stapes.extract(_batch_with_nan(1), "yamnet")
    assert (info.value.index, info.value.item) == (5, 1)
    assert isinstance(info.value, ValueError)


WANT = stapes.extract(Y, "yamnet")


def _stream_misaligned() -> np.ndarray:
    ex = stapes.Extractor("yamnet")
    chunk = np.frombuffer(b"x" + Y.tobytes(), np.float32, offset=1)
    assert not chunk.flags["ALIGNED"]
    return np.concatenate([ex.process(chunk), ex.flush()], axis=1)


ACCEPTED: list[tuple[str, Callable[[], np.ndarray]]] = [
    ("non-contiguous view", lambda: stapes.extract(np.repeat(Y, 3)[::3], "yamnet")),
    ("fortran batch", lambda: stapes.extract(np.asfortranarray(np.stack([Y, Y])), "yamnet")[1]),
    ("big-endian", lambda: stapes.extract(Y.astype(">f4"), "yamnet")),
    ("read-only", lambda: stapes.extract(np.frombuffer(Y.tobytes(), np.float32), "yamnet")),
    ("misaligned", lambda: stapes.extract(np.frombuffer(b"x" + Y.tobytes(), np.float32, offset=1), "yamnet")),
    ("misaligned chunk", lambda: _stream_misaligned()),
    ("float16", lambda: stapes.extract(Y.astype(np.float16).astype(np.float32), "yamnet")),
]


@pytest.mark.parametrize("call", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_by_converting(call: Callable[[], np.ndarray]) -> None:
    got = call()
    assert got.shape == WANT.shape and got.dtype == np.float32
    if got is not None:
        np.testing.assert_allclose(got, WANT, atol=0.05)


def test_loud_finite_input_is_not_clipped() -> None:
    """Out-of-range but finite samples are computed as given (the log floors keep the output finite)."""
    f = stapes.extract(1e6 * Y, "yamnet")
    assert np.isfinite(f).all() and f.max() > WANT.max()
