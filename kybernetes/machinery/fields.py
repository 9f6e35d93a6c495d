"""Field selectors: ``?fieldSelector=metadata.name=web,status.phase!=Running``.

A field selector is an AND of equality (``=`` or ``==``) and inequality (``!=``) terms on a small per-resource
set of fields (every resource supports ``metadata.name`` and ``metadata.namespace``; pods add ``spec.nodeName``,
``status.phase`` and a few more). The caller flattens an object into a ``{field: value}`` mapping; a field the
mapping lacks compares as the empty string.

Values may contain ``,``, ``=`` and ``\\`` only when escaped with a backslash (``\\,``, ``\\=``, ``\\\\``); the
field name is taken literally up to the first operator. Terms are sorted as upstream sorts them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["FieldSelector", "escape_value", "parse_field_selector", "unescape_value"]

EQUALS = "="
NOT_EQUALS = "!="

# checked in this order at each position; "==" before "=" so the value does not start with "="
_OPERATORS = ("!=", "==", "=")


def escape_value(value: str) -> str:
    """Escape ``\\``, ``,`` and ``=`` so ``value`` can be used in a field selector."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(text: str) -> str:
    """Undo :func:`escape_value`. Raises ``ValueError`` on an unknown escape or an unescaped ``,``/``=``."""
    if "\\" not in text and "," not in text and "=" not in text:
        return text
    out: list[str] = []
    in_slash = False
    for ch in text:
        if in_slash:
            if ch in "\\,=":
                out.append(ch)
            else:
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{ch}")
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch in ",=":
            # upstream prints the rune with %v, i.e. as its code point number
            raise ValueError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if in_slash:
        raise ValueError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not backslash-escaped (escapes are kept in the terms)."""
    if not text:
        return []
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, ch in enumerate(text):
        if in_slash:
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in _OPERATORS:
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


class FieldSelector:
    """A parsed field selector. Immutable; ``requirements`` holds ``(field, op, value)`` with op ``=`` or ``!=``."""

    __slots__ = ("_requirements", "_match")

    def __init__(self, requirements: tuple[tuple[str, str, str], ...] = ()) -> None:
        self._requirements = tuple(requirements)
        self._match = _compile(self._requirements)

    @property
    def requirements(self) -> tuple[tuple[str, str, str], ...]:
        return self._requirements

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything."""
        return not self._requirements

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Whether an object whose selectable fields are ``fields`` is selected."""
        return self._match(fields)

    def requires_exact_match(self, field: str) -> str | None:
        """The value ``field`` must equal for this selector to match, or ``None`` when not pinned."""
        for f, op, v in self._requirements:
            if f == field and op == EQUALS:
                return v
        return None

    def transform(self, fn: Callable[[str, str], tuple[str, str]]) -> FieldSelector:
        """A new selector with every ``(field, value)`` mapped through ``fn`` (e.g. version-specific field
        labels); ``fn`` may raise ``ValueError`` to reject a field."""
        out = []
        for f, op, v in self._requirements:
            nf, nv = fn(f, v)
            out.append((nf, op, nv))
        return FieldSelector(tuple(out))

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{escape_value(v)}" for f, op, v in self._requirements)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldSelector) and self._requirements == other._requirements

    def __hash__(self) -> int:
        return hash(self._requirements)


def _compile(reqs: tuple[tuple[str, str, str], ...]) -> Callable[[Mapping[str, str]], bool]:
    if not reqs:
        return lambda fields: True
    if len(reqs) == 1:
        f, op, v = reqs[0]
        if op == EQUALS:
            return lambda fields: fields.get(f, "") == v
        return lambda fields: fields.get(f, "") != v

    def match(fields: Mapping[str, str]) -> bool:
        for f, op, v in reqs:
            if (fields.get(f, "") == v) != (op == EQUALS):
                return False
        return True

    return match


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a field selector; the empty string selects everything.

    Raises ``ValueError`` with upstream's message, e.g. ``invalid selector: 'x'; can't understand 'x'``.
    """
    reqs: list[tuple[str, str, str]] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise ValueError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, raw = split
        value = unescape_value(raw)
        reqs.append((field, NOT_EQUALS if op == "!=" else EQUALS, value))
    return FieldSelector(tuple(reqs))
