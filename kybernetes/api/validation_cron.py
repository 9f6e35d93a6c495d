"""Cron schedule parsing with the error messages of ``github.com/robfig/cron/v3`` (``ParseStandard``).

CronJob validation reports a bad ``spec.schedule`` with the parser's own error text, so this module mirrors that
parser: five fields (minute, hour, day of month, month, day of week) with ``*``/``?``, ranges, steps, comma lists
and month/day names; the descriptors ``@yearly``/``@annually``/``@monthly``/``@weekly``/``@daily``/``@midnight``/
``@hourly``/``@every <duration>`` (Go duration syntax); and a ``TZ=``/``CRON_TZ=`` prefix naming an IANA zone.
"""

from __future__ import annotations

import zoneinfo

from kybernetes.machinery.errors import go_quote

__all__ = ["parse_standard_error", "load_location_error", "go_duration_error"]

_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DOWS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (min, max, names) for minute, hour, day of month, month, day of week
_BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 6, _DOWS))
_DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_UNITS = frozenset({"ns", "us", "\u00b5s", "\u03bcs", "ms", "s", "m", "h"})
_INT64_MAX = 2**63 - 1


def load_location_error(name: str) -> str | None:
    """The error of Go's ``time.LoadLocation(name)``, or None when the zone exists."""
    if name in ("", "UTC", "Local"):
        return None
    if name.startswith("/") or ".." in name.split("/") or "\\" in name:
        return f"unknown time zone {name}"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        return f"unknown time zone {name}"
    return None


def _time_quote(s: str) -> str:
    return '"' + s + '"' if s.isprintable() else go_quote(s)


def go_duration_error(s: str) -> str | None:
    """The error of Go's ``time.ParseDuration(s)``, or None when ``s`` parses."""
    orig = s
    if s and s[0] in "+-":
        s = s[1:]
    if s == "0":
        return None
    if not s:
        return "time: invalid duration " + _time_quote(orig)
    while s:
        if not (s[0] == "." or s[0].isdigit() and s[0].isascii()):
            return "time: invalid duration " + _time_quote(orig)
        i = 0
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        pre = i > 0
        if pre and int(s[:i]) > _INT64_MAX:
            return "time: invalid duration " + _time_quote(orig)
        s = s[i:]
        post = False
        if s and s[0] == ".":
            s = s[1:]
            j = 0
            while j < len(s) and "0" <= s[j] <= "9":
                j += 1
            post = j > 0
            s = s[j:]
        if not pre and not post:
            return "time: invalid duration " + _time_quote(orig)
        k = 0
        while k < len(s) and not (s[k] == "." or "0" <= s[k] <= "9"):
            k += 1
        if k == 0:
            return "time: missing unit in duration " + _time_quote(orig)
        unit = s[:k]
        s = s[k:]
        if unit not in _UNITS:
            return "time: unknown unit " + _time_quote(unit) + " in duration " + _time_quote(orig)
    return None


def _atoi(expr: str) -> tuple[int | None, str | None]:
    """strconv.Atoi: (value, error text)."""
    body = expr[1:] if expr[:1] in ("+", "-") else expr
    if not body or not body.isdigit() or not body.isascii():
        return None, f"strconv.Atoi: parsing {go_quote(expr)}: invalid syntax"
    n = int(expr)
    if not -(2**63) <= n <= _INT64_MAX:
        return None, f"strconv.Atoi: parsing {go_quote(expr)}: value out of range"
    return n, None


def _must_parse_int(expr: str) -> tuple[int, str | None]:
    n, err = _atoi(expr)
    if err is not None:
        return 0, f"failed to parse int from {expr}: {err}"
    assert n is not None
    if n < 0:
        return 0, f"negative number ({n}) not allowed: {expr}"
    return n, None


def _int_or_name(expr: str, names: dict[str, int] | None) -> tuple[int, str | None]:
    if names is not None and expr.lower() in names:
        return names[expr.lower()], None
    return _must_parse_int(expr)


def _range_error(expr: str, lo: int, hi: int, names: dict[str, int] | None) -> str | None:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    if low_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start, err = _int_or_name(low_high[0], names)
        if err:
            return err
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end, err = _int_or_name(low_high[1], names)
            if err:
                return err
        else:
            return f"too many hyphens: {expr}"
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step, err = _must_parse_int(range_and_step[1])
        if err:
            return err
        if single:
            end = hi
    else:
        return f"too many slashes: {expr}"
    if start < lo:
        return f"beginning of range ({start}) below minimum ({lo}): {expr}"
    if end > hi:
        return f"end of range ({end}) above maximum ({hi}): {expr}"
    if start > end:
        return f"beginning of range ({start}) beyond end of range ({end}): {expr}"
    if step == 0:
        return f"step of range should be a positive number: {expr}"
    return None


def parse_standard_error(spec: str) -> str | None:
    """The error ``cron.ParseStandard(spec)`` returns, or None when the schedule parses."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        i = spec.find(" ")
        eq = spec.find("=")
        name = spec[eq + 1 : i] if i >= 0 else spec[eq + 1 :]
        err = load_location_error(name)
        if err is not None:
            return f"provided bad location {name}: {err}"
        spec = spec[i:].strip() if i >= 0 else ""
        if not spec:
            return "expected exactly 5 fields, found 0: []"
    if spec.startswith("@"):
        if spec in _DESCRIPTORS:
            return None
        if spec.startswith("@every "):
            derr = go_duration_error(spec[len("@every "):])
            if derr is not None:
                return f"failed to parse duration {spec}: {derr}"
            return None
        return f"unrecognized descriptor: {spec}"
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for field, (lo, hi, names) in zip(fields, _BOUNDS):
        for expr in (part for part in field.split(",") if part):
            err = _range_error(expr, lo, hi, names)
            if err is not None:
                return err
    return None
