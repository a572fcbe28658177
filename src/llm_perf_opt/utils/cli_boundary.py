"""The one boundary every command of the project runs behind (the analyzer, the what-if script, the calibration,
the TorchInfo and module-tree scripts): whatever goes wrong, the user reads one line on stderr and the exit
status says whose problem it is.

* **2**: bad input -- an :class:`~llm_perf_opt.utils.input_error.InputError` (a flag, a file, a field; argparse's
  own complaints are raised as one through :class:`OneLineParser`) or an ``OSError`` on a path the user named
  (unreadable, unwritable, a file where a directory is needed).
* **1**: anything else (a bug): one line naming the exception and pointing to ``--debug``, which re-raises it
  so Python prints the traceback.

Every line is at most :data:`MAX_MESSAGE` characters (:func:`one_line`).

Example
-------
>>> def body() -> int:
...     raise InputError("--batch-size: must be an integer >= 1, got 0")
>>> run_command("demo", body, debug=False)
2
>>> one_line("a\\nb   c")
'a b c'
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from llm_perf_opt.utils.input_error import InputError

MAX_MESSAGE = 299
"""Longest error line printed (under 300 characters): a message quoting a huge value is cut, never a screenful."""
DEBUG_FLAG = "--debug"


def one_line(text: str) -> str:
    """``text`` on one line of at most :data:`MAX_MESSAGE` characters: a very long word (a path, a value) keeps
    its ends; a still long line keeps its head (the input it names) and its tail (why), the middle elided; a
    character that does not print (a terminal escape, a control code) is shown escaped.

    Example
    -------
    >>> len(one_line("x: " + "word " * 200)) <= MAX_MESSAGE
    True
    >>> one_line("bad key '\\x1b[31mred'")
    "bad key '\\\\x1b[31mred'"
    """
    words = ["".join(c if c.isprintable() else ascii(c)[1:-1] for c in w) for w in text.split()]
    line = " ".join(_short_word(w) for w in words)
    if len(line) <= MAX_MESSAGE:
        return line
    head = MAX_MESSAGE - 100
    return f"{line[:head]} ... {line[-(MAX_MESSAGE - head - 5) :]}"


def _short_word(word: str) -> str:
    """A word of at most 80 characters: a long path keeps its last two parts (the directory and the file a user
    recognizes), any other long word its ends."""
    if len(word) <= 60:
        return word
    tail = "/".join(word.split("/")[-2:])
    if "/" in word and len(tail) <= 76:
        return f".../{tail}"
    return f"{word[:20]}...{word[-37:]}"


class OneLineParser(argparse.ArgumentParser):
    """argparse whose complaints (an unknown flag, a bad value) are raised as :class:`InputError`, so they print
    as one line and exit 2 like every other input error, instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message)


def wants_debug(argv: Sequence[str] | None) -> bool:
    """Whether the command line asks for tracebacks (:data:`DEBUG_FLAG`)."""
    return DEBUG_FLAG in (sys.argv[1:] if argv is None else argv)


def run_command(prog: str, body: Callable[[], int], *, debug: bool) -> int:
    """``body()``'s exit status, or the status of what it raised, reported in one line on stderr (see the module
    docstring); with ``debug`` an unexpected error (and an ``OSError``) is re-raised for its traceback."""
    try:
        return body()
    except InputError as exc:
        print(one_line(f"{prog}: error: {exc}"), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help from argparse, or a body that exits on purpose
        return exc.code if isinstance(exc.code, int) else 0
    except OSError as exc:  # a path that cannot be read or written: the user's to fix
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(one_line(f"{prog}: error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return 2
    except Exception as exc:
        if debug:
            raise
        detail = f"{type(exc).__name__}: {exc}"
        print(one_line(f"{prog}: internal error ({detail[:160]}); run again with {DEBUG_FLAG} for the traceback"),
              file=sys.stderr)  # fmt: skip
        return 1


def exit_program(status: int) -> NoReturn:
    """End a program (not a function called in-process) with ``status``, without the interpreter's last walk of
    the heap.

    At exit Python collects every tracked object once more before freeing the modules; after a sweep holding
    millions of layer and point records that walk took 1.5 s of a 7.9 s run. :func:`gc.freeze` moves them out of
    the collector's reach first (the process ends right after, so nothing is kept alive longer). Not for
    in-process callers: they call the program's ``main`` and keep its status.
    """
    import gc

    gc.freeze()
    raise SystemExit(status)
