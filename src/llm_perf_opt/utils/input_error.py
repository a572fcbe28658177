"""``InputError``: bad user input, reported as one line and exit status 2.

Example
-------
>>> str(InputError("--base-size: must be a positive multiple of 16 pixels, got 0"))
'--base-size: must be a positive multiple of 16 pixels, got 0'
"""

from __future__ import annotations

import difflib
import re


class InputError(ValueError):
    """A command-line value, input file or directory the analyzer cannot use.

    The message is one line that names the input and says what is allowed.

    Example
    -------
    >>> isinstance(InputError("x"), ValueError)
    True
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def did_you_mean(message: str, allowed: list[str]) -> str:
    """``" (did you mean image_size?)"`` for the unknown keys of a ``extra fields found (crop_size)`` message, or
    a pointer to the list of keys when none is close.

    Example
    -------
    >>> did_you_mean("extra fields found (batch) @ $", ["image_size", "batch_size", "crop_mode"])
    ' (did you mean batch_size?)'
    """
    match = re.search(r"extra fields found \(([^)]*)\)", message)
    unknown = [k.strip() for k in match.group(1).split(",")] if match else []
    close = [m for k in unknown for m in difflib.get_close_matches(k, allowed, n=3)]
    if close:
        return f" (did you mean {', '.join(close)}?)"
    return f" (allowed: {', '.join(allowed)})" if len(allowed) <= 8 else " (the keys are listed in the docs)"
