"""CronJob schedule math: parsing ``spec.schedule`` and finding the start time a CronJob owes.

Schedules are read as upstream reads them with robfig/cron's standard parser: five fields (minute, hour, day of
month, month, day of week; names like ``JAN``/``MON`` and ``?`` allowed), the descriptors ``@yearly``
(``@annually``), ``@monthly``, ``@weekly``, ``@daily`` (``@midnight``), ``@hourly`` and ``@every <duration>``,
and an optional ``TZ=<zone>``/``CRON_TZ=<zone>`` prefix; ``spec.timeZone`` becomes such a prefix.  A schedule's
``next(t)`` is the first start strictly after ``t`` (at whole-second resolution), or None if there is none.

:func:`most_recent_schedule_time` answers which start is due at ``now``: starts are counted from the last
scheduled time (or the CronJob's creation), no further back than ``startingDeadlineSeconds``; only the most recent
missed start matters, and more than 100 missed starts are reported as *many* (the controller then warns
``TooManyMissedTimes``).  :func:`next_schedule_delay` is how long to sleep until the next start (plus 100 ms
of slack for clock skew).  Times are timezone-aware datetimes; every function here is pure.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

__all__ = ["Schedule", "CronSchedule", "EverySchedule", "ScheduleError", "Missed", "parse_schedule",
           "load_location", "most_recent_schedule_time", "next_schedule_delay", "job_name", "NEXT_SCHEDULE_DELTA",
           "format_rfc3339", "ScheduleMath"]

NEXT_SCHEDULE_DELTA = timedelta(milliseconds=100)
TOO_MANY_MISSED = 100

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_FIELD_NAMES = (None, None, None, _MONTHS, _DAYS)


class ScheduleError(ValueError):
    """A schedule that cannot be parsed (the message follows robfig/cron's)."""


class Schedule(Protocol):
    def next(self, t: datetime) -> datetime | None: ...


def load_location(name: str) -> timezone | ZoneInfo:
    """Go's ``time.LoadLocation``: ``""`` and ``UTC`` are UTC; raises ScheduleError ``unknown time zone X``."""
    if name in ("", "UTC"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(f"unknown time zone {name}") from None


def _truncate(t: datetime) -> datetime:
    return t.replace(microsecond=0)


@dataclass(frozen=True)
class CronSchedule:
    """A five-field schedule evaluated in ``location``."""

    expr: str
    location: timezone | ZoneInfo = timezone.utc

    def next(self, t: datetime) -> datetime | None:
        start = _truncate(t.astimezone(self.location))
        try:
            nxt = croniter(self.expr, start).get_next(datetime)
        except Exception:  # noqa: BLE001 - croniter raises CroniterBadDateError when no date ever matches
            return None
        return nxt.astimezone(timezone.utc)


@dataclass(frozen=True)
class EverySchedule:
    """``@every <duration>``: a constant delay (whole seconds, at least one) after the given time."""

    seconds: int

    def next(self, t: datetime) -> datetime | None:
        return _truncate(t) + timedelta(seconds=self.seconds)


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def _parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``1h30m``, ``1.5s``, ``300ms``); raises ScheduleError."""
    s = text.strip()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(s):
        m = _GO_DURATION.match(s, pos)
        if m is None:
            raise ScheduleError(f'failed to parse duration {text}: time: invalid duration "{text}"')
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    if pos == 0:
        raise ScheduleError(f'failed to parse duration {text}: time: invalid duration "{text}"')
    return sign * total


def _check_field(text: str, index: int) -> None:
    lo, hi = _BOUNDS[index]
    names = _FIELD_NAMES[index]
    for part in text.split(","):
        rng, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ScheduleError(f"failed to parse int from {step}: strconv.Atoi: parsing {step!r}: invalid syntax")
        if rng in ("*", "?"):
            continue
        for atom in rng.split("-", 1):
            if names is not None and atom.upper() in names:
                continue
            if not atom.isdigit():
                raise ScheduleError(f"failed to parse int from {atom}: strconv.Atoi: parsing {atom!r}: "
                                    f"invalid syntax")
            value = int(atom)
            if value < lo:
                raise ScheduleError(f"beginning of range ({value}) below minimum ({lo}): {part}")
            if value > hi:
                raise ScheduleError(f"end of range ({value}) above maximum ({hi}): {part}")


def parse_schedule(spec: str) -> Schedule:
    """Parse a schedule (see the module docstring); raises ScheduleError with robfig/cron's wording."""
    text = spec.strip()
    if not text:
        raise ScheduleError("empty spec string")
    location: timezone | ZoneInfo = timezone.utc
    if text.startswith(("TZ=", "CRON_TZ=")):
        head, _, text = text.partition(" ")
        zone = head.split("=", 1)[1]
        try:
            location = load_location(zone)
        except ScheduleError as e:
            raise ScheduleError(f"provided bad location {zone}: {e}") from None
        text = text.strip()
    if text.startswith("@"):
        if text.startswith("@every "):
            seconds = _parse_go_duration(text[len("@every "):])
            return EverySchedule(max(1, int(seconds)))
        expr = _DESCRIPTORS.get(text)
        if expr is None:
            raise ScheduleError(f"unrecognized descriptor: {text}")
        return CronSchedule(expr, location)
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for i, f in enumerate(fields):
        _check_field(f, i)
    # croniter wants numbers where robfig accepts '?'.
    expr = " ".join("*" if f == "?" else f for f in fields)
    if not croniter.is_valid(expr):
        raise ScheduleError(f"unparseable schedule: {text}")
    return CronSchedule(expr, location)


class Missed(enum.Enum):
    NONE = "none"
    FEW = "few"
    MANY = "many"


@dataclass(frozen=True)
class ScheduleMath:
    """What :func:`most_recent_schedule_time` found."""

    earliest: datetime
    most_recent: datetime | None
    missed: Missed


def most_recent_schedule_time(schedule: Schedule, now: datetime, *, created: datetime,
                              last_scheduled: datetime | None, starting_deadline: int | None,
                              include_deadline: bool) -> ScheduleMath:
    """The most recent start time at or before ``now`` not yet scheduled (None if none is due).

    Starts are looked for after ``last_scheduled`` (else ``created``), and, when ``include_deadline``, no
    earlier than ``now - starting_deadline``.  Raises ScheduleError when the schedule has fewer than one second
    between two starts (e.g. a day that never exists)."""
    earliest = last_scheduled or created
    if include_deadline and starting_deadline is not None:
        deadline = now - timedelta(seconds=starting_deadline)
        if deadline > earliest:
            earliest = deadline
    t1 = schedule.next(earliest)
    t2 = schedule.next(t1) if t1 is not None else None
    if t1 is not None and now < t1:
        return ScheduleMath(earliest, None, Missed.NONE)
    if t1 is not None and t2 is not None and now < t2:
        return ScheduleMath(earliest, t1, Missed.NONE)
    if t1 is None or t2 is None or round((t2 - t1).total_seconds()) < 1:
        raise ScheduleError("time difference between two schedules is less than 1 second")
    between = int(round((t2 - t1).total_seconds()))
    elapsed = int((now - t1).total_seconds())
    missed_count = elapsed // between + 1
    # Jump close to now instead of walking every missed start (hourly jobs missed for years...), going one
    # interval further back so irregular schedules (30 6-16/4 * * 1-5) still land right.
    t: datetime | None = schedule.next(t1 + timedelta(seconds=(missed_count - 2) * between))
    most_recent: datetime | None = None
    while t is not None and t <= now:
        most_recent = t
        t = schedule.next(t)
    missed = Missed.MANY if missed_count > TOO_MANY_MISSED else Missed.FEW if missed_count > 0 else Missed.NONE
    return ScheduleMath(earliest, most_recent, missed)


def next_schedule_delay(schedule: Schedule, now: datetime, *, created: datetime,
                        last_scheduled: datetime | None) -> float:
    """Seconds from ``now`` until the next start after the most recent one (plus 100 ms); may be negative
    when a start is already due."""
    try:
        found = most_recent_schedule_time(schedule, now, created=created, last_scheduled=last_scheduled,
                                          starting_deadline=None, include_deadline=False)
        base = found.most_recent
        if base is None:
            base = found.earliest if found.missed is Missed.NONE else now
    except ScheduleError:
        base = now
    nxt = schedule.next(base)
    if nxt is None:
        return 3600.0
    return (nxt + NEXT_SCHEDULE_DELTA - now).total_seconds()


def job_name(cronjob_name: str, scheduled: datetime) -> str:
    """``<cronjob>-<scheduled time in minutes since the epoch>``: one deterministic name per start."""
    return f"{cronjob_name}-{int(scheduled.timestamp()) // 60}"


def format_rfc3339(t: datetime) -> str:
    """Go's ``time.RFC3339`` of ``t`` in its own zone: ``Z`` for a zero offset, else ``+hh:mm``."""
    text = t.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
