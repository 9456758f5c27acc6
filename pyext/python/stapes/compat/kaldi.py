"""Drop-in for ``torchaudio.compliance.kaldi.fbank`` and ``.mfcc``: the same option names, defaults and
``(frames, bins)`` float32 output, numpy in and out, no torch.

As in torchaudio, the waveform is used as given: Kaldi expects int16-range values, so scale float audio in [-1, 1]
by 32768 first (``waveform * 32768``); int16 arrays are taken at their integer values. A 2-D waveform is
``(channels, samples)`` and ``channel`` picks one (``-1`` means the first, as in torchaudio); 1-D is taken as mono.

Differences from torchaudio, by design:

- ``snip_edges=False`` (Kaldi's frames centred on multiples of the shift, edges mirrored, what lhotse, icefall and
  sherpa-onnx use) is computed in the core (``frames.padding = "kaldi"``); a ``frame_shift`` longer than
  ``frame_length`` with it raises ``NotImplementedError``.
- ``dither > 0`` uses stapes' deterministic counter-based Gaussian (seed 0), not ``torch.randn``.
- VTLN warping (``vtln_warp != 1``), ``raw_energy=False`` with ``use_energy=True`` and ``blackman_coeff`` other than
  0.42 raise ``NotImplementedError``; torchaudio's ``AssertionError`` cases raise ``ValueError``.

These options are also kaldi-native-fbank's (``FrameExtractionOptions``, ``MelBanksOptions``, ``FbankOptions``,
``MfccOptions``), which the parity tests compare against.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._core import Config, _check_size, as_float32

__all__ = ["fbank", "mfcc"]

_WINDOWS = {
    "povey": "povey",
    "hanning": "hann",
    "hamming": "hamming",
    "rectangular": "rectangular",
    "blackman": "blackman",
}


def _frame_sizes(
    frame_length: float, frame_shift: float, sample_frequency: float, round_to_power_of_two: bool
) -> tuple[int, int, int]:
    """torchaudio's ``(window_shift, window_size, padded_window_size)`` in samples."""
    shift = int(sample_frequency * frame_shift * 0.001)
    size = int(sample_frequency * frame_length * 0.001)
    padded = 1 << (size - 1).bit_length() if round_to_power_of_two else size
    return shift, size, padded


@lru_cache(maxsize=64)
def _config(
    *,
    blackman_coeff: float,
    dither: float,
    frame_length: float,
    frame_shift: float,
    high_freq: float,
    low_freq: float,
    num_mel_bins: int,
    preemphasis_coefficient: float,
    remove_dc_offset: bool,
    round_to_power_of_two: bool,
    sample_frequency: float,
    snip_edges: bool,
    use_log_fbank: bool,
    use_power: bool,
    vtln_high: float,
    vtln_low: float,
    vtln_warp: float,
    window_type: str,
    num_ceps: int | None,
    cepstral_lifter: float,
    energy_c0: bool,
) -> Config:
    if vtln_warp != 1.0:
        raise NotImplementedError(f"vtln_warp={vtln_warp}: VTLN warping is not supported by stapes")
    if window_type not in _WINDOWS:
        raise ValueError(f"Invalid window type {window_type!r}; expected one of {', '.join(_WINDOWS)}")
    if window_type == "blackman" and blackman_coeff != 0.42:
        raise NotImplementedError(f"blackman_coeff={blackman_coeff}: stapes' Blackman window has coefficient 0.42")
    if sample_frequency <= 0 or sample_frequency != int(sample_frequency):
        raise ValueError(f"sample_frequency must be a positive whole number of Hz, got {sample_frequency}")
    if not 0.0 <= preemphasis_coefficient <= 1.0:
        raise ValueError("`preemphasis_coefficient` must be between [0,1]")
    shift, size, padded = _frame_sizes(frame_length, frame_shift, sample_frequency, round_to_power_of_two)
    if size < 2:
        raise ValueError(f"choose a window size {size} that is at least 2 samples (frame_length={frame_length} ms)")
    if shift <= 0:
        raise ValueError("`window_shift` must be greater than 0")
    if padded % 2 != 0:
        raise ValueError(
            "the padded `window_size` must be divisible by two. use `round_to_power_of_two` or change `frame_length`"
        )
    nyquist = 0.5 * sample_frequency
    high = high_freq + nyquist if high_freq <= 0.0 else high_freq
    if not (0.0 <= low_freq < nyquist and 0.0 < high <= nyquist and low_freq < high):
        raise ValueError(f"Bad values in options: low-freq {low_freq} and high-freq {high_freq} vs. nyquist {nyquist}")
    data: dict[str, Any] = Config.from_preset("kaldi-fbank").to_dict()
    data.update(
        sample_rate=int(sample_frequency),
        input_scale=1.0,
        dither=float(dither),
        remove_dc=bool(remove_dc_offset),
        preemphasis=float(preemphasis_coefficient),
        spectrum="power" if use_power else "magnitude",
        log={"ln": {"offset": 0.0, "floor": float(np.finfo(np.float32).eps)}} if use_log_fbank else "none",
    )
    if not snip_edges and size // 2 < shift // 2:
        raise NotImplementedError(
            f"snip_edges=False with frame_shift {frame_shift} ms longer than frame_length {frame_length} ms is not "
            "supported by stapes"
        )
    data["frames"].update(n_fft=padded, win_length=size, hop_length=shift, padding="none" if snip_edges else "kaldi")
    data["window"].update(kind=_WINDOWS[window_type], symmetric=True)
    data["mel"].update(n_mels=int(num_mel_bins), fmin=float(low_freq), fmax=float(high))
    if num_ceps is not None:
        lifter = {"kaldi": float(cepstral_lifter)} if cepstral_lifter != 0.0 else "none"
        data["mfcc"] = {"n_mfcc": int(num_ceps), "lifter": lifter, "energy_c0": bool(energy_c0)}
    elif energy_c0:
        # The frame's raw log energy alone: C0 of a one-coefficient MFCC with energy_c0 (needs a log; any will do).
        data["mfcc"] = {"n_mfcc": 1, "lifter": "none", "energy_c0": True}
        data["log"] = {"ln": {"offset": 0.0, "floor": float(np.finfo(np.float32).eps)}}
    return Config.from_dict(data)


def _waveform(waveform: ArrayLike, channel: int) -> NDArray[np.float32]:
    if isinstance(waveform, np.ndarray) and waveform.dtype == np.int16:
        x = np.ascontiguousarray(waveform, dtype=np.float32)  # torchaudio takes int16-range values as they are
    else:
        x = as_float32(waveform, "waveform")
    if x.ndim == 2:
        channel = max(channel, 0)
        if channel >= x.shape[0]:
            raise ValueError(f"Invalid channel {channel} for size {x.shape[0]}")
        x = np.ascontiguousarray(x[channel])
    elif x.ndim != 1:
        raise ValueError(f"waveform must be (channels, samples) or 1-D, got shape {x.shape}")
    return x


def _check_length(x: NDArray[np.float32], cfg: Config) -> None:
    win = cfg.to_dict()["frames"]["win_length"]
    if x.size < win:
        raise ValueError(f"choose a window size {win} that is [2, {x.size}] (the waveform has {x.size} samples)")


def _frames(x: NDArray[np.float32], cfg: Config) -> NDArray[np.float32]:
    """``(frames, n_features)`` float32, frame-major straight from the core."""
    _check_size(cfg, x.size)
    features, _ = cfg._native.extract(x, True)
    result: NDArray[np.float32] = features
    return result


def _energy_floor(column: NDArray[np.float32], energy_floor: float) -> None:
    if energy_floor < 0.0:
        raise ValueError(f"energy_floor must be >= 0, got {energy_floor}")
    if energy_floor > 0.0:
        np.maximum(column, np.float32(math.log(energy_floor)), out=column)


def _subtract_mean(features: NDArray[np.float32], subtract_mean: bool) -> NDArray[np.float32]:
    if subtract_mean:
        features = features - features.mean(axis=0, keepdims=True)
    return features


def fbank(
    waveform: ArrayLike,
    blackman_coeff: float = 0.42,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    use_log_fbank: bool = True,
    use_power: bool = True,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
) -> NDArray[np.float32]:
    """Kaldi filterbank features, ``(frames, num_mel_bins)`` float32 (``+ 1`` energy column with ``use_energy``:
    first, or last with ``htk_compat``), as ``torchaudio.compliance.kaldi.fbank``.

    Pipeline (Kaldi's order): frames of ``frame_length`` ms every ``frame_shift`` ms (only complete frames), dither,
    DC removal, raw log energy, pre-emphasis, window, zero-pad to a power of two, ``|rfft|²`` (``|rfft|`` without
    ``use_power``), mel bank with triangles linear in HTK mel and the Nyquist bin dropped,
    ``ln(max(x, FLT_EPSILON))``.
    """
    if use_energy and not raw_energy:
        raise NotImplementedError("raw_energy=False with use_energy=True: stapes computes the raw (pre-window) energy")
    x = _waveform(waveform, channel)
    options = {
        "blackman_coeff": float(blackman_coeff),
        "dither": float(dither),
        "frame_length": float(frame_length),
        "frame_shift": float(frame_shift),
        "high_freq": float(high_freq),
        "low_freq": float(low_freq),
        "num_mel_bins": int(num_mel_bins),
        "preemphasis_coefficient": float(preemphasis_coefficient),
        "remove_dc_offset": bool(remove_dc_offset),
        "round_to_power_of_two": bool(round_to_power_of_two),
        "sample_frequency": float(sample_frequency),
        "snip_edges": bool(snip_edges),
        "use_log_fbank": bool(use_log_fbank),
        "use_power": bool(use_power),
        "vtln_high": float(vtln_high),
        "vtln_low": float(vtln_low),
        "vtln_warp": float(vtln_warp),
        "window_type": window_type,
        "num_ceps": None,
        "cepstral_lifter": 0.0,
    }
    cfg = _config(**options, energy_c0=False)
    _check_length(x, cfg)
    if x.size < min_duration * sample_frequency:
        return np.empty(0, dtype=np.float32)
    features = _frames(x, cfg)
    if use_energy:
        energy = _frames(x, _config(**options, energy_c0=True))
        _energy_floor(energy, energy_floor)
        parts = (features, energy) if htk_compat else (energy, features)
        features = np.concatenate(parts, axis=1)
    return _subtract_mean(features, subtract_mean)


def mfcc(
    waveform: ArrayLike,
    blackman_coeff: float = 0.42,
    cepstral_lifter: float = 22.0,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    num_ceps: int = 13,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
) -> NDArray[np.float32]:
    """Kaldi MFCCs, ``(frames, num_ceps)`` float32, as ``torchaudio.compliance.kaldi.mfcc``: the log mel energies
    of ``fbank``, orthonormal DCT-II, lifter ``1 + Q/2·sin(πn/Q)`` (``cepstral_lifter = Q``, 0 for none); with
    ``use_energy`` C0 is the raw log energy (floored at ``ln(energy_floor)``); ``htk_compat`` moves C0 last (times
    √2 without ``use_energy``), as torchaudio does.
    """
    if use_energy and not raw_energy:
        raise NotImplementedError("raw_energy=False with use_energy=True: stapes computes the raw (pre-window) energy")
    if num_ceps > num_mel_bins:
        raise ValueError(f"num_ceps cannot be larger than num_mel_bins: {num_ceps} vs {num_mel_bins}")
    x = _waveform(waveform, channel)
    cfg = _config(
        blackman_coeff=float(blackman_coeff),
        dither=float(dither),
        frame_length=float(frame_length),
        frame_shift=float(frame_shift),
        high_freq=float(high_freq),
        low_freq=float(low_freq),
        num_mel_bins=int(num_mel_bins),
        preemphasis_coefficient=float(preemphasis_coefficient),
        remove_dc_offset=bool(remove_dc_offset),
        round_to_power_of_two=bool(round_to_power_of_two),
        sample_frequency=float(sample_frequency),
        snip_edges=bool(snip_edges),
        use_log_fbank=True,
        use_power=True,
        vtln_high=float(vtln_high),
        vtln_low=float(vtln_low),
        vtln_warp=float(vtln_warp),
        window_type=window_type,
        num_ceps=int(num_ceps),
        cepstral_lifter=float(cepstral_lifter),
        energy_c0=bool(use_energy),
    )
    _check_length(x, cfg)
    if x.size < min_duration * sample_frequency:
        return np.empty(0, dtype=np.float32)
    features = _frames(x, cfg)
    if use_energy:
        _energy_floor(features[:, 0], energy_floor)
    if htk_compat:
        c0 = features[:, :1]
        if not use_energy:
            c0 = c0 * np.float32(math.sqrt(2))
        features = np.concatenate((features[:, 1:], c0), axis=1)
    return _subtract_mean(features, subtract_mean)
