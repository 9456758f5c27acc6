"""``python -m stapes``: files and directories in, one .npy each plus config.json out; bad files are skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

import stapes
from conftest import signal
from stapes.__main__ import main


def _dataset(root: Path) -> dict[str, np.ndarray]:
    """WAV and FLAC files (one stereo, one nested) and the mono float32 signal each holds."""
    (root / "sub").mkdir(parents=True)
    files = {
        "a.wav": signal("speech16"),
        "b.flac": signal("music16"),
        "sub/c.wav": signal("noise16"),
    }
    for name, y in files.items():
        soundfile.write(root / name, y, 16000, subtype="PCM_16")
    stereo = np.stack([signal("tones16"), signal("chirp16")], axis=1)
    soundfile.write(root / "sub" / "d.wav", stereo, 16000, subtype="FLOAT")
    files["sub/d.wav"] = stereo.mean(axis=1, dtype=np.float32)
    (root / "notes.txt").write_text("not audio, not picked up from a directory")
    return files


def test_extract_directory_matches_the_api(tmp_path: Path) -> None:
    files = _dataset(tmp_path / "in")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "stapes", "extract", str(tmp_path / "in"), "--preset", "kaldi-fbank", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "4/4 files" in result.stderr and "wrote 4" in result.stdout
    assert (out / "config.json").read_text().strip() == stapes.Config.from_preset("kaldi-fbank").to_json()
    for name, y in files.items():
        got = np.load(out / Path(name).with_suffix(".npy"))
        np.testing.assert_array_equal(got, stapes.extract(y, "kaldi-fbank"))


def test_bad_files_are_reported_and_skipped(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.wav"
    soundfile.write(good, signal("speech16"), 16000, subtype="PCM_16")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00garbage")
    too_fast = tmp_path / "fast.wav"
    soundfile.write(too_fast, signal("speech16"), 96000, subtype="PCM_16")
    missing = tmp_path / "missing.flac"
    out = tmp_path / "out"
    args = ["extract", str(broken), str(good), str(too_fast), str(missing), "--preset", "yamnet", "--out", str(out)]
    code = main([*args, "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert f"skipped {broken}" in captured.err and f"skipped {missing}" in captured.err
    assert f"skipped {too_fast}: cannot resample 96000 Hz to 16000 Hz" in captured.err
    assert "wrote 1 feature file(s)" in captured.out and "skipped 3" in captured.out
    np.testing.assert_array_equal(np.load(out / "good.npy"), stapes.extract(signal("speech16"), "yamnet"))


def test_files_at_other_rates_are_resampled_and_said_so(tmp_path: Path, capsys) -> None:
    """A 44.1 kHz and an 8 kHz file become the preset's 16 kHz features, each named with its rates on stderr and
    counted in the summary; ``--no-resample`` skips them instead."""
    rng = np.random.default_rng(4)
    y44 = (0.3 * rng.standard_normal(44100)).astype(np.float32)
    y8 = (0.3 * rng.standard_normal(8000)).astype(np.float32)
    soundfile.write(tmp_path / "a44.wav", y44, 44100, subtype="FLOAT")
    soundfile.write(tmp_path / "b8.wav", y8, 8000, subtype="FLOAT")
    soundfile.write(tmp_path / "c16.wav", signal("speech16"), 16000, subtype="FLOAT")
    out = tmp_path / "out"
    code = main(["extract", str(tmp_path), "--preset", "yamnet", "--out", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"resampled {tmp_path / 'a44.wav'} from 44100 Hz to 16000 Hz" in captured.err
    assert f"resampled {tmp_path / 'b8.wav'} from 8000 Hz to 16000 Hz" in captured.err
    assert "c16.wav" not in captured.err
    assert "wrote 3 feature file(s) (2 resampled to 16000 Hz)" in captured.out
    for name, y, sr in [("a44", y44, 44100), ("b8", y8, 8000)]:
        want = stapes.extract(stapes.resample(y, sr, 16000), "yamnet")
        np.testing.assert_array_equal(np.load(out / f"{name}.npy"), want)

    skip = tmp_path / "skip"
    code = main(["extract", str(tmp_path / "a44.wav"), "--preset", "yamnet", "--out", str(skip), "--no-resample"])
    captured = capsys.readouterr()
    assert code == 1
    assert "sample rate 44100 Hz, but the config expects 16000 Hz (--no-resample" in captured.err
    assert not (skip / "a44.npy").exists()


def test_config_overrides_and_name_collisions(tmp_path: Path, capsys) -> None:
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        soundfile.write(tmp_path / folder / "same.wav", signal("music16"), 16000, subtype="PCM_16")
    out = tmp_path / "out"
    overrides = json.dumps({"mel": {"n_mels": 40}, "scalars": {"rms": True}})
    code = main(
        [
            "extract",
            str(tmp_path / "x" / "same.wav"),
            str(tmp_path / "y" / "same.wav"),
            "--preset",
            "kaldi-fbank",
            "--config",
            overrides,
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert np.load(out / "same.npy").shape[0] == 40 and (out / "same-1.npy").exists()
    saved = stapes.Config.from_json((out / "config.json").read_text())
    assert saved == stapes.Config.from_preset("kaldi-fbank", mel={"n_mels": 40}, scalars={"rms": True})
    config_file = tmp_path / "c.json"
    config_file.write_text(saved.to_json())
    assert main(["extract", str(tmp_path / "x"), "--config", str(config_file), "--out", str(tmp_path / "o2")]) == 0
    assert (
        main(
            [
                "extract",
                str(tmp_path / "x"),
                "--preset",
                "yamnet",
                "--config",
                '{"mel": {"n_mels": 9999}}',
                "--out",
                str(tmp_path / "o3"),
            ]
        )
        == 2
    )
    assert "mel.n_mels" in capsys.readouterr().err


def test_presets_and_config_commands(capsys) -> None:
    assert main(["presets"]) == 0
    assert capsys.readouterr().out.split() == stapes.presets()
    assert main(["config", "yamnet"]) == 0
    assert capsys.readouterr().out.strip() == stapes.Config.from_preset("yamnet").to_json()
