"""Value types for the command lines (``proxytui ...`` and ``proxytui fake-siasn``).

argparse turns an ArgumentTypeError into one "argument --x: <message>" line and exit 2,
so a bad value never reaches the code as a negative row count or an impossible port.
"""

from __future__ import annotations

import argparse
import math


def _number(value: str, kind: type[int] | type[float]) -> int | float | None:
    try:
        number = kind(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def port(value: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    number = _number(value, int)
    if number is None or not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return int(number)


def positive_int(value: str) -> int:
    number = _number(value, int)
    if number is None or number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(number)


def non_negative_int(value: str) -> int:
    number = _number(value, int)
    if number is None or number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 0 or more")
    return int(number)


def positive_seconds(value: str) -> float:
    number = _number(value, float)
    if number is None or number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return float(number)


def non_negative_float(value: str) -> float:
    number = _number(value, float)
    if number is None or number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of 0 or more")
    return float(number)


def fraction(value: str) -> float:
    """A probability, 0 to 1."""
    number = _number(value, float)
    if number is None or not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a fraction between 0 and 1")
    return float(number)
