"""What this build of stapes is and how it runs on this machine: the lane type the core's batch extraction uses."""

from __future__ import annotations

from typing import Any

from . import _native

__all__ = ["info", "set_lanes"]


def _lanes(report: tuple) -> dict[str, Any]:
    chosen, how, timings, measure_ms, note, available = report
    return {
        "chosen": chosen,
        "how": how,
        "available": list(available),
        "ns_per_frame": dict(timings),
        "measure_ms": measure_ms,
        "note": note,
    }


def info() -> dict[str, Any]:
    """The version and the lane type offline extraction runs in.

    ``lanes["chosen"]`` is one of ``lanes["available"]`` (``baseline``: two SSE vectors on x86_64, an array
    elsewhere; ``avx2``; ``avx512``: AVX2 instructions on AVX-512VL's 32 registers; ``neon`` on aarch64). All give
    the same bits; the first extraction of a process times a short batch of real work (the ``yamnet`` pipeline on 64
    frames) in each and keeps the fastest (``how == "measured"``, with ``ns_per_frame`` and ``measure_ms``), unless
    the ``STAPES_LANES`` environment variable (``how == "env"``) or ``set_lanes`` (``"pinned"``) named one.
    ``note`` says why ``STAPES_LANES`` was ignored, if it was.

    >>> stapes.info()["lanes"]["chosen"] in stapes.info()["lanes"]["available"]
    True
    """
    return {"version": _native.__version__, "lanes": _lanes(_native.lane_choice())}


def set_lanes(name: str | None = None) -> dict[str, Any]:
    """Pins the lane type for the rest of the process (``None``: measure again and keep the fastest).

    Returns ``info()["lanes"]`` after the change. Raises ``ValueError`` for a lane type this CPU does not run.
    Useful for benchmarks and to skip the start-up measurement (about a millisecond); the bits never change.
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(f"set_lanes: name must be a str or None, not {type(name).__name__}")
    return _lanes(_native.set_lanes(name))
