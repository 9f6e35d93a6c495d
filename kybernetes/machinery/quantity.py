"""Resource quantities (``500m``, ``1.5``, ``128Mi``, ``1e3``): parsing, canonical form and integer views.

A quantity is a decimal number with an optional suffix that also picks how it is printed back:

* binary SI (``Ki`` ``Mi`` ``Gi`` ``Ti`` ``Pi`` ``Ei``, powers of 1024) prints as ``BinarySI``;
* decimal SI (``n`` ``u`` ``m`` none ``k`` ``M`` ``G`` ``T`` ``P`` ``E``) prints as ``DecimalSI``;
* a decimal exponent (``e3``, ``E-2``) prints as ``DecimalExponent``.

Values are exact :class:`fractions.Fraction`. As upstream does, a value finer than a nano-unit is rounded away
from zero to the next nano-unit (asking for a tiny amount still gets some) and magnitudes are capped at
2^63-1. The canonical text is what the API server stores and returns: the largest suffix that keeps the number
an integer (``1000m`` -> ``1``, ``0.5`` -> ``500m``, ``1024Mi`` -> ``1Gi``, ``1536Mi`` -> ``1536Mi``); binary
values below 1024 or not whole print in decimal SI.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

__all__ = [
    "BINARY_SI",
    "DECIMAL_EXPONENT",
    "DECIMAL_SI",
    "canonicalize",
    "format_quantity",
    "milli_value",
    "parse_quantity",
    "parse_quantity_with_format",
    "value",
]

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

ERR_FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
ERR_SUFFIX = "unable to parse quantity's suffix"

_MAX = Fraction(2**63 - 1)
_NANO = 10**9

# suffix -> (base, exponent)
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXP = {e: s for s, e in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}
_SUFFIX_LETTERS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
# exponents beyond these only matter as "capped" or "rounds to 1n"; avoid building huge integers
_EXP_LIMIT = 1000


def _split(text: str) -> tuple[bool, str, str, str]:
    """Split into (positive, integer digits, fraction digits, suffix) like upstream's scanner."""
    positive = True
    pos, end = 0, len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_LETTERS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(ERR_FORMAT_WRONG)
    return positive, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """(base, exponent, format) for a suffix; raises ``ValueError`` for unknown suffixes."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exp_text = suffix[1:]
        body = exp_text[1:] if exp_text[0] in "+-" else exp_text
        if body and body.isdigit() and body.isascii():
            return 10, int(exp_text), DECIMAL_EXPONENT
    raise ValueError(ERR_SUFFIX)


def _normalize(v: Fraction) -> Fraction:
    """Round the magnitude up to a whole nano-unit and cap it at 2^63-1."""
    if v == 0:
        return Fraction(0)
    sign = -1 if v < 0 else 1
    mag = abs(v)
    nanos = mag * _NANO
    if nanos.denominator != 1:
        mag = Fraction(math.ceil(nanos), _NANO)
    if mag > _MAX:
        mag = _MAX
    return mag if sign > 0 else -mag


def parse_quantity_with_format(text: str | int | float) -> tuple[Fraction, str]:
    """Parse a quantity and report the format its suffix asks for. Surrounding whitespace is ignored, as the
    JSON decoder does; ints and floats (JSON numbers) are accepted. Raises ``ValueError`` with upstream's
    messages. Results for strings are memoised (the same few quantities recur in every object)."""
    if type(text) is str:
        return _parse_text(text)
    return _parse_uncached(text)


@functools.lru_cache(maxsize=8192)
def _parse_text(text: str) -> tuple[Fraction, str]:
    return _parse_uncached(text)


def _parse_uncached(text: str | int | float) -> tuple[Fraction, str]:
    if isinstance(text, bool):
        raise ValueError(ERR_FORMAT_WRONG)
    if isinstance(text, int):
        text = str(text)
    elif isinstance(text, float):
        if not math.isfinite(text):
            raise ValueError(ERR_FORMAT_WRONG)
        text = repr(text)
    elif not isinstance(text, str):
        raise ValueError(ERR_FORMAT_WRONG)
    text = text.strip()
    if not text:
        raise ValueError(ERR_FORMAT_WRONG)
    positive, num, denom, suffix = _split(text)
    base, exponent, fmt = _interpret(suffix)
    mantissa = Fraction(int(num + denom), 10 ** len(denom))
    if mantissa == 0:
        return Fraction(0), fmt
    if base == 10:
        if exponent > _EXP_LIMIT:
            v = _MAX
        elif exponent < -_EXP_LIMIT:
            v = Fraction(1, _NANO)
        else:
            v = mantissa * Fraction(10) ** exponent
    else:
        v = mantissa * (2**exponent)
    v = _normalize(v if positive else -v)
    if fmt == BINARY_SI and abs(v) < 1:
        fmt = DECIMAL_SI
    return v, fmt


def parse_quantity(text: str | int | float) -> Fraction:
    """The exact value of a quantity (see :func:`parse_quantity_with_format`)."""
    return parse_quantity_with_format(text)[0]


def format_quantity(value: Fraction | int, fmt: str = DECIMAL_SI) -> str:
    """The canonical text of ``value`` in format ``fmt`` (``BinarySI``, ``DecimalSI`` or ``DecimalExponent``).
    The value is first rounded to nano-units and capped like a parsed quantity."""
    v = _normalize(Fraction(value))
    if v == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < v < 1024 or v.denominator != 1:
            fmt = DECIMAL_SI
        else:
            n = int(v)
            power = 0
            while n % 1024 == 0 and power < 6:
                n //= 1024
                power += 1
            return f"{n}{_BINARY_BY_POWER[power]}"
    elif fmt not in (DECIMAL_SI, DECIMAL_EXPONENT):
        fmt = DECIMAL_EXPONENT
    mantissa = int(v * _NANO)
    exp = -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exp += 1
    while exp % 3:
        mantissa *= 10
        exp -= 1
    if fmt == DECIMAL_EXPONENT:
        return f"{mantissa}e{exp}" if exp else str(mantissa)
    suffix = _DECIMAL_BY_EXP.get(exp)
    if suffix is None:
        return f"{mantissa}e{exp}"
    return f"{mantissa}{suffix}"


def canonicalize(text: str | int | float) -> str:
    """The canonical form of a quantity as the API server stores it (``"1000m"`` -> ``"1"``)."""
    v, fmt = parse_quantity_with_format(text)
    return format_quantity(v, fmt)


def _round_away(v: Fraction) -> int:
    return math.ceil(v) if v >= 0 else -math.ceil(-v)


def value(text: str | int | float) -> int:
    """The quantity as an integer, rounded away from zero (``"1500m"`` -> 2)."""
    return _round_away(parse_quantity(text))


def milli_value(text: str | int | float) -> int:
    """The quantity in thousandths, rounded away from zero (``"0.1"`` -> 100, ``"1n"`` -> 1)."""
    return _round_away(parse_quantity(text) * 1000)
