"""Configs: presets, overrides, JSON (byte-for-byte the node's format), dicts, equality, pickling, errors."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import stapes
from stapes import _native

PRESET_JSON = Path(__file__).parent / "data" / "presets"


def test_version_and_presets() -> None:
    assert stapes.__version__ == "0.1.0"
    assert stapes.presets() == [
        "whisper-80",
        "whisper-128",
        "yamnet",
        "vggish",
        "kaldi-fbank",
        "kaldi-mfcc",
        "librosa-mel",
        "librosa-mfcc",
    ]


@pytest.mark.parametrize("name", stapes.presets())
def test_preset_json_is_the_nodes_format_byte_for_byte(name: str) -> None:
    """The snapshot is what the dashboard writes to the node; a change here is a change of the wire format."""
    cfg = stapes.Config.from_preset(name)
    assert cfg.to_json() == (PRESET_JSON / f"{name}.json").read_text()
    assert stapes.Config.from_json(cfg.to_json()).to_json() == cfg.to_json()
    assert stapes.Config.from_json(cfg.to_json().encode()).to_json() == cfg.to_json()
    assert stapes.Config.from_dict(cfg.to_dict()) == cfg
    assert _native.canonical_json(json.dumps(cfg.to_dict())) == cfg.to_json()
    assert cfg.preset == name and repr(cfg) == f"Config.from_preset({name!r})"


def test_properties() -> None:
    w = stapes.Config.from_preset("whisper-80")
    assert (w.sample_rate, w.n_features, w.is_streamable, w.n_frames(16000)) == (16000, 80, False, 100)
    k = stapes.Config.from_preset("kaldi-mfcc")
    assert (k.n_features, k.is_streamable, k.n_frames(16000)) == (13, True, 98)
    assert stapes.Config.from_preset("librosa-mel").sample_rate == 22050
    assert w.scalar_names == []
    s = w.replace(scalars={"rms": True, "flux": True, "centroid": True})
    assert s.scalar_names == ["rms", "centroid", "flux"]


def test_overrides_merge_objects_and_replace_the_rest() -> None:
    cfg = stapes.Config.from_preset("kaldi-fbank", mel={"n_mels": 40}, frames={"hop_length": 80}, dither=0.5)
    d = cfg.to_dict()
    assert d["mel"]["n_mels"] == 40 and d["mel"]["fmin"] == 20.0
    assert d["frames"]["hop_length"] == 80 and d["frames"]["n_fft"] == 512
    assert d["dither"] == 0.5
    assert cfg.preset is None
    dotted = stapes.Config.from_preset("kaldi-fbank", **{"mel.n_mels": 40, "frames.hop_length": 80, "dither": 0.5})
    assert dotted == cfg
    # Enums are replaced whole.
    db = stapes.Config.from_preset("whisper-80", log={"db": {"amin": 1e-10, "reference": 1.0}}, normalize="none")
    assert db.to_dict()["log"] == {"db": {"amin": 1e-10, "reference": 1.0}} and db.is_streamable
    assert stapes.Config.from_preset("yamnet", mel=None).n_features == 257
    assert stapes.Config.from_preset("yamnet", frames={"n_fft": np.int64(1024)}).n_features == 64
    assert cfg.replace(dither=0.0).replace(dither=0.5) == cfg


def test_equality_hash_pickle() -> None:
    a = stapes.Config.from_preset("yamnet")
    b = stapes.Config.from_json(a.to_json())
    assert a == b and hash(a) == hash(b) and a != stapes.Config.from_preset("vggish") and a != "yamnet"
    for cfg in (a, a.replace(dither=0.1)):
        restored = pickle.loads(pickle.dumps(cfg))
        assert restored == cfg and restored.preset == cfg.preset
    assert len({a, b}) == 1


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: stapes.Config.from_preset("whisper-80", frames={"n_fft": 10**9}), "frames.n_fft"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"n_fft": 10**12}), "frames.n_fft"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"n_fft": -512}), "frames.n_fft"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"n_fft": 1021}), "frames.n_fft"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"hop_length": 0}), "frames.hop_length"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"win_length": 401}), "frames.win_length"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"padding": "wrap"}), "frames.padding"),
        (lambda: stapes.Config.from_preset("whisper-80", mel={"n_mels": 1000}), "mel.n_mels"),
        (lambda: stapes.Config.from_preset("whisper-80", mel={"fmax": 9000.0}), "mel.fmax"),
        (lambda: stapes.Config.from_preset("whisper-80", mel={"fmin": 9000.0}), "mel.fmin"),
        (lambda: stapes.Config.from_preset("whisper-80", sample_rate=0), "sample_rate"),
        (lambda: stapes.Config.from_preset("whisper-80", sample_rate=10**7), "sample_rate"),
        (lambda: stapes.Config.from_preset("whisper-80", input_scale=float("nan")), "input_scale"),
        (lambda: stapes.Config.from_preset("whisper-80", window={"kind": "kaiser"}), "window.kind"),
        (lambda: stapes.Config.from_preset("kaldi-mfcc", mfcc={"n_mfcc": 40}), "mfcc.n_mfcc"),
        (lambda: stapes.Config.from_preset("whisper-80", bogus=1), "bogus"),
        (lambda: stapes.Config.from_preset("whisper-80", frames={"bogus": 1}), "frames.bogus"),
        (lambda: stapes.Config.from_preset("whisper-80", **{"frames.bogus": 1}), "frames.bogus"),
        (lambda: stapes.Config.from_preset("whisper-81"), "preset"),
        (lambda: stapes.Config.from_json("{"), ""),
        (lambda: stapes.Config.from_json("[]"), ""),
    ],
)
def test_config_errors_are_value_errors_naming_the_field(make, field: str) -> None:
    with pytest.raises(stapes.ConfigError) as info:
        make()
    assert isinstance(info.value, ValueError)
    assert info.value.field == field, str(info.value)
    if field:
        assert field.split(".")[-1] in str(info.value)


def test_non_json_values_and_types() -> None:
    with pytest.raises(stapes.ConfigError):
        stapes.Config.from_preset("yamnet", dither=object())
    with pytest.raises(TypeError):
        stapes.Config(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        stapes.extract(np.zeros(100, np.float32), 42)  # type: ignore[arg-type]


def test_the_compat_modules_are_reachable_from_import_stapes_without_importing_them_eagerly():
    import subprocess
    import sys

    code = (
        "import sys, stapes\n"
        "assert 'stapes.compat' not in sys.modules\n"
        "assert callable(stapes.compat.librosa.feature.melspectrogram)\n"
        "assert 'stapes.compat.kaldi' not in sys.modules\n"
        "assert callable(stapes.compat.kaldi.fbank) and callable(stapes.compat.whisper.log_mel_spectrogram)\n"
        "try:\n    stapes.compat.nope\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit('no error')\n"
        "try:\n    stapes.nope\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit('no error')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
