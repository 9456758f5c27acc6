"""The TFLite Micro front end against the real ``pymicro_features`` 2.0.2: ``stapes.extract(y, "micro-wakeword")``
and the drop-in ``stapes.compat.micro_features.MicroFrontend``, value for value (zero differences)."""

from __future__ import annotations

import numpy as np
import pytest

import stapes
from stapes.compat import micro_features as ours

from conftest import GOLDEN

pmf = pytest.importorskip("pymicro_features")


def _signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(16000 * 2) / 16000
    out = {
        "speech": np.load(GOLDEN / "micro" / "sig_speech.npy"),
        "noise": np.clip(rng.standard_normal(t.size) * 4000, -32768, 32767).astype(np.int16),
        "tones": (8000 * np.sin(2 * np.pi * 440 * t) + 2000 * np.sin(2 * np.pi * 2500 * t)).astype(np.int16),
        "quiet": rng.integers(-3, 4, t.size).astype(np.int16),
        "loud": np.where(np.sin(2 * np.pi * 90 * t) > 0, 32767, -32768).astype(np.int16),
    }
    return out


def _reference(x: np.ndarray) -> np.ndarray:
    """pymicro-features driven as microWakeWord drives it, (n_frames, 40) floats."""
    fe = pmf.MicroFrontend()
    raw = x.astype("<i2").tobytes()
    frames = []
    i = 0
    while i + 320 <= len(raw):
        out = fe.process_samples(raw[i : i + 320])
        if out.features:
            frames.append(out.features)
        i += 320
    return np.array(frames, dtype=np.float64).reshape(-1, 40)


@pytest.mark.parametrize("name", list(_signals()))
def test_extract_equals_pymicro_features(name: str) -> None:
    x = _signals()[name]
    want = _reference(x)
    got = stapes.extract(x, "micro-wakeword")
    assert got.dtype == np.float32 and got.shape == (40, want.shape[0])
    np.testing.assert_array_equal(got.T.astype(np.float64), want)
    # Float input by the one rule gives the same int16 back (x / 32768 · 32768 is exact).
    np.testing.assert_array_equal(stapes.extract(x.astype(np.float32) / 32768, "micro-wakeword"), got)
    # The other output forms: the reference's u16 and ESPHome's int8.
    u16 = stapes.extract(x, stapes.MicroConfig.preset("micro-wakeword").replace(output="u16"))
    assert u16.dtype == np.uint16
    np.testing.assert_array_equal(u16.T.astype(np.float64) * 0.0390625, want)
    i8 = stapes.extract(x, stapes.MicroConfig.preset("micro-wakeword").replace(output="int8"))
    assert i8.dtype == np.int8
    esphome = np.clip((u16.astype(np.int32) * 256 + 333) // 666 - 128, -128, 127)
    np.testing.assert_array_equal(i8, esphome)


def test_float_rule_is_microwakewords() -> None:
    rng = np.random.default_rng(3)
    y = (rng.standard_normal(16000) * 0.4).astype(np.float32)
    y[::97] = 1.7  # clipped
    pcm = np.clip(y * 32768, -32768, 32767).astype(np.int16)  # microWakeWord's generate_features_for_clip
    np.testing.assert_array_equal(stapes.extract(y, "micro-wakeword").T.astype(np.float64), _reference(pcm))


@pytest.mark.parametrize("chunks", [[320], [321, 640, 1000, 320], [4000], [333, 999]])
def test_drop_in_matches_call_for_call(chunks: list[int]) -> None:
    raw = _signals()["speech"].astype("<i2").tobytes()
    a, b = pmf.MicroFrontend(), ours.MicroFrontend()
    pos, k, calls = 0, 0, 0
    while pos + 320 <= len(raw):
        n = chunks[k % len(chunks)]
        chunk = raw[pos : pos + n]
        if len(chunk) < 320:
            break
        ra, rb = a.process_samples(chunk), b.process_samples(chunk)
        assert rb.samples_read == ra.samples_read
        assert rb.features == ra.features
        assert type(rb).__name__ == "MicroFrontendOutput"
        pos += ra.samples_read * 2
        k += 1
        calls += 1
        if calls == 300:
            # Reset mid-stream: both start over.
            a.reset()
            b.reset()
    assert calls > 300


def test_drop_in_refuses_what_pymicro_features_refuses() -> None:
    for bad in [b"", b"\0" * 319]:
        with pytest.raises(ValueError) as want:
            pmf.MicroFrontend().process_samples(bad)
        with pytest.raises(ValueError) as got:
            ours.MicroFrontend().process_samples(bad)
        assert str(got.value) == str(want.value)
    for bad in [bytearray(320), memoryview(bytes(320)), "x" * 320, None]:
        with pytest.raises(TypeError) as want:
            pmf.MicroFrontend().process_samples(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError) as got:
            ours.MicroFrontend().process_samples(bad)  # type: ignore[arg-type]
        assert str(got.value) == str(want.value)
    # A numpy int16 array is a read-only-compatible buffer for both.
    x = _signals()["noise"][:160]
    for _ in range(3):
        assert ours.MicroFrontend().process_samples(x).samples_read == pmf.MicroFrontend().process_samples(x).samples_read


def test_bad_input_is_refused_clearly() -> None:
    y = np.zeros(16000, np.float32)
    y[123] = np.nan
    with pytest.raises(stapes.NonFiniteError) as e:
        stapes.extract(y, "micro-wakeword")
    assert e.value.index == 123
    with pytest.raises(ValueError, match="empty"):
        stapes.extract(np.zeros(0, np.int16), "micro-wakeword")
    with pytest.raises(TypeError, match="int32"):
        stapes.extract(np.zeros(100, np.int32), "micro-wakeword")
    with pytest.raises(ValueError, match="sr"):
        stapes.extract(np.zeros(100, np.int16), "micro-wakeword", sr=8000)
    with pytest.raises(stapes.ConfigError) as c:
        stapes.MicroConfig.preset("micro-wakeword").replace(channels=0)
    assert c.value.field == "channels"
    with pytest.raises(stapes.ConfigError) as c:
        stapes.MicroConfig('{"sample_rate": "x"}')
    assert c.value.field == "sample_rate"
    # Byte-swapped and strided int16 are the same samples.
    x = _signals()["noise"]
    want = stapes.extract(x, "micro-wakeword")
    np.testing.assert_array_equal(stapes.extract(x.astype(">i2"), "micro-wakeword"), want)
    doubled = np.repeat(x, 2)[::2]
    np.testing.assert_array_equal(stapes.extract(doubled, "micro-wakeword"), want)
    # Too short for one window: no frames, not an error.
    assert stapes.extract(np.zeros(100, np.int16), "micro-wakeword").shape == (40, 0)


def test_micro_speech_steps_20_ms() -> None:
    x = _signals()["speech"]
    a = stapes.extract(x, "micro-speech")
    b = stapes.extract(x, "micro-wakeword")
    # A 20 ms step takes every other 10 ms frame's window, but the noise estimate sees half the frames.
    assert a.shape[1] == (x.size - 480) // 320 + 1
    assert b.shape[1] == (x.size - 480) // 160 + 1
    assert stapes.micro_presets() == ["micro-wakeword", "micro-speech"]


def test_batches_lists_and_streams_equal_single_extraction() -> None:
    s = _signals()
    rows = np.stack([s["noise"], s["tones"], s["quiet"]])
    single = [stapes.extract(r, "micro-wakeword") for r in rows]
    np.testing.assert_array_equal(stapes.extract(rows, "micro-wakeword"), np.stack(single))
    for got, want in zip(stapes.extract(list(rows), "micro-wakeword"), single):
        np.testing.assert_array_equal(got, want)
    # The streaming front end, fed uneven chunks, gives the same u16 frames as one extraction.
    from stapes import _native

    x = s["speech"]
    u16 = stapes.extract(x, stapes.MicroConfig.preset("micro-wakeword").replace(output="u16"))
    stream = _native.MicroStream(_native.micro_preset_json("micro-wakeword"))
    parts, pos, k = [], 0, 0
    while pos < x.size:
        n = [1, 159, 480, 7, 1000][k % 5]
        parts.append(stream.push(x[pos : pos + n]))
        pos += n
        k += 1
    np.testing.assert_array_equal(np.concatenate(parts).T, u16)
