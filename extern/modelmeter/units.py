"""Units and element sizes: the one place that says what a FLOP and a dtype are.

Example
-------
>>> dtype_bytes("bfloat16")
2
>>> FLOPS_PER_MAC
2
"""

from __future__ import annotations

FLOPS_PER_MAC = 2
"""One multiply-add counts as two FLOPs (torch.utils.flop_counter's convention; fvcore's
"flop" is a MAC, i.e. half of ours)."""

_DTYPE_BYTES: dict[str, int] = {
    "float32": 4,
    "fp32": 4,
    "tf32": 4,
    "bfloat16": 2,
    "bf16": 2,
    "float16": 2,
    "fp16": 2,
    "float8_e4m3fn": 1,
    "fp8": 1,
    "int8": 1,
}

KNOWN_DTYPES: tuple[str, ...] = tuple(_DTYPE_BYTES)


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of ``dtype``.

    Raises
    ------
    ValueError
        When ``dtype`` is not one of :data:`KNOWN_DTYPES`.
    """
    try:
        return _DTYPE_BYTES[dtype]
    except KeyError:
        raise ValueError(f"dtype: unknown {dtype!r}; allowed: {', '.join(KNOWN_DTYPES)}") from None
