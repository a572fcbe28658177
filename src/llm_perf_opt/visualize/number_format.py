"""Deterministic number formatting for tables.

Example
-------
>>> si(1_234_567_890, "FLOP")
'1.235 GFLOP'
>>> si(999, "B")
'999 B'
>>> grouped(3336106240)
'3,336,106,240'
>>> percent(1, 3)
'33.33%'
"""

from __future__ import annotations

_PREFIXES = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def grouped(value: int) -> str:
    """An integer with thousands separators."""
    return f"{value:,}"


def si(value: int, unit: str) -> str:
    """``value`` with a decimal SI prefix and 4 significant digits (exact below 1000)."""
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            return (
                f"{value / scale:.4g} {prefix}{unit}" if value / scale < 1000 else f"{value / scale:.0f} {prefix}{unit}"
            )
    return f"{value} {unit}"


def percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with 2 decimals (``-`` when ``whole`` is 0)."""
    return f"{100 * part / whole:.2f}%" if whole else "-"
