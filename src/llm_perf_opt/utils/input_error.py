"""``InputError``: bad user input, reported as one line and exit status 2.

Example
-------
>>> str(InputError("--base-size: must be a positive multiple of 16 pixels, got 0"))
'--base-size: must be a positive multiple of 16 pixels, got 0'
"""

from __future__ import annotations


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
