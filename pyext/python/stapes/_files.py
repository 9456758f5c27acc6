"""Audio files: reading with soundfile (optional dependency, ``pip install stapes[cli]``) and extracting from them."""

from __future__ import annotations

import os
from typing import Any, Union

import numpy as np
from numpy.typing import NDArray

from ._core import ConfigLike, _resolve, extract

PathLike = Union[str, "os.PathLike[str]"]

#: File extensions the CLI picks up when it walks a directory.
AUDIO_EXTENSIONS = (".wav", ".flac")


def _soundfile() -> Any:
    try:
        import soundfile  # type: ignore[import-not-found,unused-ignore]
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("reading audio files needs soundfile: pip install 'stapes[cli]' (or soundfile)") from e
    return soundfile


def read_audio(path: PathLike) -> tuple[NDArray[np.float32], int]:
    """Reads a WAV/FLAC file (anything libsndfile reads) as float32 in [-1, 1], channels averaged to mono
    (as ``librosa.load(mono=True)`` does). Returns ``(samples, sample_rate)``."""
    data, sr = _soundfile().read(os.fspath(path), dtype="float32", always_2d=True)
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32), int(sr)


def extract_file(path: PathLike, config: ConfigLike, *, resample: bool = True) -> NDArray[np.float32]:
    """Features of an audio file: ``read_audio`` then ``extract``. A file at another rate than the config's is
    resampled to the config's rate (``stapes.resample``); with ``resample=False`` it raises ``ValueError`` instead.
    A plain function of picklable arguments, so it maps over files with Dask, Ray or multiprocessing as it is:

    >>> futures = client.map(stapes.extract_file, paths, config=stapes.Config.from_preset("yamnet"))
    """
    cfg = _resolve(config)
    y, sr = read_audio(path)
    result: NDArray[np.float32] = extract(y, cfg, sr=sr, resample=resample)
    return result
