"""Pausing Python's cyclic garbage collector around allocation-heavy work (evaluations, sweeps, reports)."""

from __future__ import annotations

import gc


class CollectorPaused:
    """Context manager pausing Python's cyclic garbage collector (restored on exit).

    The analytic trees, the report records and their plain data hold no reference cycles, so
    reference counting frees everything; the collector's passes over the large per-value caches
    and over a report's tens of thousands of records would be pure overhead (they took a third of
    an evaluation's time when left on).

    Example
    -------
    >>> import gc
    >>> with CollectorPaused():
    ...     gc.isenabled()
    False
    """

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()
