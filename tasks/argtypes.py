"""Value types for the command lines (``proxytui ...`` and ``proxytui fake-siasn``).

argparse turns an ArgumentTypeError into one "argument --x: <message>" line and exit 2,
so a bad value never reaches the code as a negative row count or an impossible port.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def _bounded(kind: type[N], accept: Callable[[N], bool], what: str) -> Callable[[str], N]:
    """A parser for one finite number of ``kind`` that `accept` allows; else "is not <what>"."""

    def parse(value: str) -> N:
        try:
            number = kind(value)
        except ValueError:
            number = None
        if number is None or not math.isfinite(number) or not accept(number):
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}")
        return number

    return parse


port = _bounded(int, lambda n: 0 <= n <= 65535, "a port number (0-65535)")
positive_int = _bounded(int, lambda n: n >= 1, "a whole number of 1 or more")
non_negative_int = _bounded(int, lambda n: n >= 0, "a whole number of 0 or more")
positive_seconds = _bounded(float, lambda n: n > 0, "a positive number of seconds")
non_negative_float = _bounded(float, lambda n: n >= 0, "a number of 0 or more")
fraction = _bounded(float, lambda n: 0 <= n <= 1, "a fraction between 0 and 1")
