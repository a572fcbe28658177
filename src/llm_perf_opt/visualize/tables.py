"""Plain-text and Markdown tables.

Example
-------
>>> print(text_table(["stage", "params"], [["sam", "95.57 M"], ["clip", "303.2 M"]]))
stage  params
-----  -------
sam    95.57 M
clip   303.2 M
>>> print(markdown_table(["a", "b"], [["x|y", "1"]], align="lr"))
| a | b |
|:--|--:|
| x\\|y | 1 |
"""

from __future__ import annotations

from collections.abc import Sequence


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, a dashed rule under the header."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, newlines folded."""
    return " ".join(text.split("\n")).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A Markdown table; ``align`` holds ``l`` or ``r`` per column (default left)."""
    rules = [("--:" if (align[i : i + 1] == "r") else ":--") for i in range(len(headers))]
    out = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "|".join(rules) + "|"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
