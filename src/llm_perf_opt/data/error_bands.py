"""How sure a prediction is: the error measured for its basis, as the validation reports found it.

A prediction on a **calibrated** GPU under a runtime profile carries the error of that profile's predictions
against the GPU measurements of the calibrated GPUs (the H100 and H200 runtime reports, every stage point of
both); under ``hf-eager`` also the error of the page time against the vendor's own ``generate()`` runs. A
prediction on a **portable** (uncalibrated) GPU carries the leave-one-GPU-out error: each calibrated GPU's
measured points predicted from the other GPU's curves and its own datasheet, with the other host's constants.
The table is generated from the committed reports (``python -m llm_perf_opt.regen`` writes
``conf/validation/error_bands.json``) and packaged with the code.

Example
-------
>>> band = ErrorBand(kernel_median_pct=4.0, kernel_worst_pct=8.4, wall_median_pct=3.8, wall_worst_pct=9.1,
...                  points=14, measured_on="hf-eager on H100 SXM and H200")
>>> band.describe()
'wall time median 3.8 %, worst 9.1 %; kernel time median 4.0 %, worst 8.4 % (14 points: hf-eager on H100 SXM and H200)'
>>> from attrs import evolve
>>> evolve(band, wall_signed_median_pct=-2.5).describe().split(";")[0]
'wall time median 3.8 %, worst 9.1 %, predicted low by a median 2.5 %'
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from attrs import Attribute, define, field
from attrs.validators import instance_of

from llm_perf_opt.data._validators import finite_non_negative, non_empty_str, non_negative_int, optional_finite
from llm_perf_opt.data.planning import BASIS_CALIBRATED

BANDS_FILE = ("conf", "validation", "error_bands.json")
"""Where the packaged table lives, relative to the ``llm_perf_opt`` package."""


def _optional_pct(instance: object, attribute: Attribute[Any], value: float | None) -> None:
    if value is not None:
        finite_non_negative(instance, attribute, value)


def _direction(signed_pct: float) -> str:
    """How a signed median error reads: predictions low (negative), high (positive) or centred."""
    if signed_pct < 0:
        return f"predicted low by a median {-signed_pct:.1f} %"
    if signed_pct > 0:
        return f"predicted high by a median {signed_pct:.1f} %"
    return "centred"


@define(frozen=True, kw_only=True)
class ErrorBand:
    """Median and worst absolute error (percent) of kernel and wall time where predictions of one basis were
    compared with GPU measurements (``points`` of them, ``measured_on`` what), and, where the vendor's
    ``generate()`` was timed, of the page time. The ``*_signed_median_pct`` fields keep the sign (negative:
    predictions below the measurements), so a user can tell a bias from scatter; ``None`` where not recorded.

    Example
    -------
    >>> ErrorBand(kernel_median_pct=-1.0, kernel_worst_pct=2.0, wall_median_pct=1.0, wall_worst_pct=2.0, points=3,
    ...           measured_on="x")
    Traceback (most recent call last):
    ...
    ValueError: kernel_median_pct: must be a finite number >= 0, got -1.0
    """

    kernel_median_pct: float = field(validator=finite_non_negative)
    kernel_worst_pct: float = field(validator=finite_non_negative)
    wall_median_pct: float = field(validator=finite_non_negative)
    wall_worst_pct: float = field(validator=finite_non_negative)
    points: int = field(validator=non_negative_int)
    measured_on: str = field(validator=non_empty_str)
    page_median_pct: float | None = field(default=None, validator=_optional_pct)
    page_worst_pct: float | None = field(default=None, validator=_optional_pct)
    page_points: int = field(default=0, validator=non_negative_int)
    wall_signed_median_pct: float | None = field(default=None, validator=optional_finite)
    page_signed_median_pct: float | None = field(default=None, validator=optional_finite)

    def describe(self) -> str:
        """One line: wall, kernel and (where measured) page time errors, which way they lean, and what they were
        measured on."""
        wall_lean = "" if self.wall_signed_median_pct is None else f", {_direction(self.wall_signed_median_pct)}"
        text = (
            f"wall time median {self.wall_median_pct:.1f} %, worst {self.wall_worst_pct:.1f} %{wall_lean}; kernel "
            f"time median {self.kernel_median_pct:.1f} %, worst {self.kernel_worst_pct:.1f} % ({self.points} points: "
            f"{self.measured_on})"
        )
        if self.page_median_pct is not None and self.page_worst_pct is not None:
            page_lean = "" if self.page_signed_median_pct is None else f", {_direction(self.page_signed_median_pct)}"
            text += (
                f"; page time against the vendor's generate(): median {self.page_median_pct:.1f} %, worst "
                f"{self.page_worst_pct:.1f} %{page_lean} ({self.page_points} pages)"
            )
        return text


@define(frozen=True, kw_only=True)
class ErrorBands:
    """The measured error of each basis: ``calibrated`` per runtime profile, ``portable`` for any profile.

    Example
    -------
    >>> b = ErrorBand(kernel_median_pct=1.0, kernel_worst_pct=2.0, wall_median_pct=1.0, wall_worst_pct=2.0,
    ...               points=3, measured_on="x")
    >>> bands = ErrorBands(calibrated={"hf-eager": b}, portable=b)
    >>> bands.band("calibrated", "hf-eager") is b, bands.band("calibrated", "fused")
    (True, None)
    >>> bands.band("portable", "fused") is b
    True
    """

    calibrated: dict[str, ErrorBand] = field(validator=instance_of(dict))
    portable: ErrorBand = field(validator=instance_of(ErrorBand))

    def band(self, basis: str, runtime: str) -> ErrorBand | None:
        """The band of a prediction of ``basis`` under ``runtime``: ``None`` for a calibrated GPU under a profile no
        measurement validated (its error is unknown)."""
        return self.calibrated.get(runtime) if basis == BASIS_CALIBRATED else self.portable


_BANDS: list[ErrorBands] = []


def packaged_error_bands() -> ErrorBands:
    """The packaged table (read once per process)."""
    if not _BANDS:
        from llm_perf_opt.contracts.converter import structure

        text = resources.files("llm_perf_opt").joinpath(*BANDS_FILE).read_text(encoding="utf-8")
        _BANDS.append(structure(json.loads(text), ErrorBands))
    return _BANDS[0]
