"""Label selectors: parsing, validation and fast matching.

A label selector is an AND of requirements on an object's labels. The text form (``?labelSelector=`` and
``kubectl -l``) is a comma-separated list of requirements::

    app=web, tier!=cache, env in (prod,staging), track notin (canary), release, !legacy, replicas>2

The object form (``metav1.LabelSelector`` in Deployments, Services' pod selection, PDBs...) has
``matchLabels`` plus ``matchExpressions`` with the operators ``In``, ``NotIn``, ``Exists`` and ``DoesNotExist``;
a missing selector (``None``) selects nothing and an empty one selects everything.

Parsing follows upstream's lexer and recursive-descent parser, so bad input fails with upstream's messages.
Requirements are sorted by key (as upstream does) and compiled once into small closures: matching runs in LIST
and WATCH filters over thousands of objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    aggregate_message,
    field_invalid,
    field_not_supported,
    go_quote,
)

__all__ = [
    "Requirement",
    "Selector",
    "new_requirement",
    "parse_selector",
    "selector_from_dict",
    "selector_from_set",
    "validate_label_key",
    "validate_label_value",
]

# selection.Operator values, as upstream spells them
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
IN = "in"
NOT_IN = "notin"
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_ALL_OPERATORS = _BINARY_OPERATORS + (EXISTS, DOES_NOT_EXIST)

# ---------------------------------------------------------------------------------------------------------------
# Key and value validation (upstream IsQualifiedName / IsValidLabelValue)
# ---------------------------------------------------------------------------------------------------------------

_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_RE = re.compile(_QNAME_FMT)
_QNAME_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" + _QNAME_FMT + "')"
)
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '" + _LABEL_VALUE_FMT + "')"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '"
    + _DNS1123_SUBDOMAIN_FMT
    + "')"
)


def _utf8_len(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode())


def validate_label_key(key: str) -> list[str]:
    """Upstream's error strings for ``key`` as a label key (a qualified name: optional DNS-subdomain prefix and
    ``/``, then a name of at most 63 characters); empty when valid."""
    errs: list[str] = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if _utf8_len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
                errs.append("prefix part " + _DNS1123_SUBDOMAIN_ERR)
    else:
        return [
            "a qualified name " + _QNAME_ERR + " with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif _utf8_len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _QNAME_RE.fullmatch(name):
        errs.append("name part " + _QNAME_ERR)
    return errs


def validate_label_value(value: str) -> list[str]:
    """Upstream's error strings for ``value`` as a label value (empty, or at most 63 alphanumerics, ``-``, ``_``
    and ``.`` starting and ending alphanumeric); empty when valid."""
    errs: list[str] = []
    if _utf8_len(value) > 63:
        errs.append("must be no more than 63 characters")
    if value and not _QNAME_RE.fullmatch(value):
        errs.append(_LABEL_VALUE_ERR)
    return errs


# ---------------------------------------------------------------------------------------------------------------
# Requirements and selectors
# ---------------------------------------------------------------------------------------------------------------


class _GoLiteral:
    """A pre-rendered Go value for error messages (e.g. ``[]string(nil)``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _go_strings(values: Sequence[str]) -> Any:
    if not values:
        return _GoLiteral("[]string(nil)")
    return list(values)


_INT64_RE = re.compile(r"[+-]?[0-9]+")


def _parse_int64(text: str) -> int | None:
    if not _INT64_RE.fullmatch(text):
        return None
    n = int(text)
    if not -(2**63) <= n < 2**63:
        return None
    return n


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition on a label: ``key``, an operator (``=``, ``==``, ``!=``, ``in``, ``notin``, ``exists``,
    ``!``, ``gt``, ``lt``) and its values."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this requirement (a missing key satisfies ``!=``, ``notin`` and ``!``)."""
        return _compile(self)(labels)

    def __str__(self) -> str:
        op = self.operator
        head = ("!" if op == DOES_NOT_EXIST else "") + self.key
        if op in (EXISTS, DOES_NOT_EXIST):
            return head
        sym = {
            EQUALS: "=",
            DOUBLE_EQUALS: "==",
            NOT_EQUALS: "!=",
            IN: " in ",
            NOT_IN: " notin ",
            GREATER_THAN: ">",
            LESS_THAN: "<",
        }.get(op, "")
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (IN, NOT_IN):
            return f"{head}{sym}({vals})"
        return f"{head}{sym}{vals}"


def new_requirement(key: str, operator: str, values: Sequence[str] = ()) -> Requirement:
    """Build a validated requirement (upstream NewRequirement). Raises ``ValueError`` with the aggregated
    field errors when the key, operator or values are not acceptable."""
    errs: list[FieldError] = []
    key_errs = validate_label_key(key)
    if key_errs:
        errs.append(field_invalid(FieldPath("key"), key, "; ".join(key_errs)))
    values_path = FieldPath("values")
    vals = list(values)
    problem = ""
    if operator in (IN, NOT_IN):
        if not vals:
            problem = "for 'in', 'notin' operators, values set can't be empty"
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            problem = "exact-match compatibility requires one single value"
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            problem = "values set must be empty for exists and does not exist"
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            problem = "for 'Gt', 'Lt' operators, exactly one value is required"
    else:
        errs.append(field_not_supported(FieldPath("operator"), operator, _ALL_OPERATORS))
    if problem:
        errs.append(field_invalid(values_path, _go_strings(vals), problem))
    if operator in (GREATER_THAN, LESS_THAN):
        for i, v in enumerate(vals):
            if _parse_int64(v) is None:
                errs.append(
                    field_invalid(values_path.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer")
                )
    for i, v in enumerate(vals):
        value_errs = validate_label_value(v)
        if value_errs:
            errs.append(field_invalid(values_path.index(i).key(key), v, "; ".join(value_errs)))
    if errs:
        raise ValueError(aggregate_message(errs))
    return Requirement(key, operator, tuple(vals))


_Matcher = Callable[[Mapping[str, str]], bool]


def _compile(req: Requirement) -> _Matcher:
    """A closure testing ``req`` against a labels mapping; built once per requirement."""
    key, op, values = req.key, req.operator, req.values
    if op in (EQUALS, DOUBLE_EQUALS, IN):
        if len(values) == 1:
            want = values[0]
            return lambda labels: labels.get(key) == want
        allowed = frozenset(values)
        return lambda labels: labels.get(key) in allowed
    if op in (NOT_EQUALS, NOT_IN):
        if len(values) == 1:
            unwanted = values[0]
            return lambda labels: labels.get(key) != unwanted
        denied = frozenset(values)
        return lambda labels: labels.get(key) not in denied
    if op == EXISTS:
        return lambda labels: key in labels
    if op == DOES_NOT_EXIST:
        return lambda labels: key not in labels
    if op in (GREATER_THAN, LESS_THAN):
        bound = _parse_int64(values[0]) if len(values) == 1 else None
        if bound is None:
            return lambda labels: False
        greater = op == GREATER_THAN

        def compare(labels: Mapping[str, str]) -> bool:
            raw = labels.get(key)
            if raw is None:
                return False
            n = _parse_int64(raw)
            if n is None:
                return False
            return n > bound if greater else n < bound

        return compare
    return lambda labels: False


class Selector:
    """An AND of label requirements, compiled for fast matching. Immutable; safe to share between tasks."""

    __slots__ = ("_requirements", "_matchers", "_nothing", "_text")

    def __init__(self, requirements: Sequence[Requirement] = (), *, _nothing: bool = False) -> None:
        self._requirements = tuple(requirements)
        self._matchers = tuple(_compile(r) for r in self._requirements)
        self._nothing = _nothing
        self._text: str | None = None

    @classmethod
    def everything(cls) -> Selector:
        """The selector that matches every object."""
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> Selector:
        """The selector that matches no object (a ``None`` LabelSelector)."""
        return _NOTHING

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """The requirements, sorted by key."""
        return self._requirements

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything (``Selector.nothing()`` is not empty)."""
        return not self._nothing and not self._requirements

    @property
    def matches_nothing(self) -> bool:
        """True only for ``Selector.nothing()``."""
        return self._nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether an object with ``labels`` (``None`` means no labels) is selected."""
        if self._nothing:
            return False
        if labels is None:
            labels = {}
        for m in self._matchers:
            if not m(labels):
                return False
        return True

    def requires_exact_match(self, key: str) -> str | None:
        """The single value ``key`` must have for this selector to match, or ``None`` when not pinned."""
        for r in self._requirements:
            if r.key == key:
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def add(self, *requirements: Requirement) -> Selector:
        """A new selector with ``requirements`` added (kept sorted by key)."""
        if self._nothing:
            return self
        return Selector(sorted(self._requirements + requirements, key=lambda r: r.key))

    def __str__(self) -> str:
        if self._text is None:
            self._text = ",".join(str(r) for r in self._requirements)
        return self._text

    def __repr__(self) -> str:
        if self._nothing:
            return "Selector.nothing()"
        return f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Selector)
            and self._nothing == other._nothing
            and self._requirements == other._requirements
        )

    def __hash__(self) -> int:
        return hash((self._nothing, self._requirements))


_EVERYTHING = Selector()
_NOTHING = Selector(_nothing=True)


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """A selector matching exactly ``labels`` (``key=value`` for each entry), without validation; an empty or
    missing set selects everything."""
    if not labels:
        return _EVERYTHING
    return Selector([Requirement(k, EQUALS, (v,)) for k, v in sorted(labels.items())])


_EXPRESSION_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


_FROM_DICT: dict[bytes, Selector | ValueError] = {}
_FROM_DICT_MAX = 4096


def selector_from_dict(label_selector: Mapping[str, Any] | None) -> Selector:
    """Convert a ``metav1.LabelSelector`` object (upstream LabelSelectorAsSelector).

    ``None`` selects nothing; no ``matchLabels`` and no ``matchExpressions`` selects everything. Raises
    ``ValueError`` with upstream's message for bad keys, values or operators.

    Remembered by content (selectors are immutable): controllers convert the same few selectors for every
    object they look at, and validating each key and value is most of the cost.
    """
    if label_selector is None:
        return _NOTHING
    try:
        key = orjson.dumps(label_selector)  # insertion order kept: the first bad entry is the one reported
    except TypeError:
        return _selector_from_dict(label_selector)
    hit = _FROM_DICT.get(key)
    if hit is None:
        try:
            hit = _selector_from_dict(label_selector)
        except ValueError as e:
            hit = e
        if len(_FROM_DICT) >= _FROM_DICT_MAX:
            _FROM_DICT.clear()
        _FROM_DICT[key] = hit
    if isinstance(hit, ValueError):
        raise type(hit)(*hit.args)
    return hit


def _selector_from_dict(label_selector: Mapping[str, Any]) -> Selector:
    match_labels = label_selector.get("matchLabels") or {}
    expressions = label_selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return _EVERYTHING
    reqs: list[Requirement] = []
    for k, v in match_labels.items():
        reqs.append(new_requirement(k, EQUALS, [v]))
    for expr in expressions:
        op_name = expr.get("operator", "")
        op = _EXPRESSION_OPERATORS.get(op_name)
        if op is None:
            raise ValueError(f"{go_quote(str(op_name))} is not a valid label selector operator")
        reqs.append(new_requirement(expr.get("key", ""), op, list(expr.get("values") or ())))
    reqs.sort(key=lambda r: r.key)
    return Selector(reqs)


# ---------------------------------------------------------------------------------------------------------------
# Lexer and parser for the text form
# ---------------------------------------------------------------------------------------------------------------

_ERROR, _EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _IDENT, _IN, _LT, _NEQ, _NOTIN, _OPEN = range(14)

_SYMBOL_TOKENS = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DEQ,
    "=": _EQ,
    ">": _GT,
    "<": _LT,
    "!=": _NEQ,
    "(": _OPEN,
}
_KEYWORDS = {"in": _IN, "notin": _NOTIN}
_SPECIAL = frozenset("=!(),><")
_OPERATOR_TOKENS = {
    _IN: IN,
    _EQ: EQUALS,
    _DEQ: DOUBLE_EQUALS,
    _GT: GREATER_THAN,
    _LT: LESS_THAN,
    _NOTIN: NOT_IN,
    _NEQ: NOT_EQUALS,
}
_WHITESPACE = frozenset(" \t\r\n")


def _lex(text: str) -> list[tuple[int, str]]:
    """Split a selector into (token, literal) pairs ending with the end-of-string token."""
    items: list[tuple[int, str]] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            items.append((_EOS, ""))
            return items
        ch = text[pos]
        if ch in _SPECIAL:
            two = text[pos : pos + 2]
            if two in ("!=", "=="):
                items.append((_SYMBOL_TOKENS[two], two))
                pos += 2
            else:
                items.append((_SYMBOL_TOKENS[ch], ch))
                pos += 1
            continue
        start = pos
        while pos < end and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
            pos += 1
        word = text[start:pos]
        items.append((_KEYWORDS.get(word, _IDENT), word))


class _Parser:
    """Recursive-descent parser over the lexed tokens (upstream's grammar and error texts)."""

    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def lookahead(self, values: bool) -> tuple[int, str]:
        tok, lit = self.items[self.pos]
        if values and tok in (_IN, _NOTIN):
            tok = _IDENT
        return tok, lit

    def consume(self, values: bool) -> tuple[int, str]:
        tok, lit = self.lookahead(values)
        self.pos += 1
        return tok, lit

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead(True)
            if tok in (_IDENT, _NOT):
                try:
                    reqs.append(self.requirement())
                except ValueError as e:
                    raise ValueError(f"unable to parse requirement: {e}") from None
                t, lit = self.consume(True)
                if t == _EOS:
                    return reqs
                if t == _COMMA:
                    t2, lit2 = self.lookahead(True)
                    if t2 not in (_IDENT, _NOT):
                        raise ValueError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return reqs
            else:
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        key, op = self.key_and_operator()
        if op in (EXISTS, DOES_NOT_EXIST):
            return new_requirement(key, op, [])
        op = self.operator()
        if op in (IN, NOT_IN):
            values = self.values()
        else:
            values = self.exact_value()
        return new_requirement(key, op, sorted(values))

    def key_and_operator(self) -> tuple[str, str]:
        op = ""
        tok, lit = self.consume(True)
        if tok == _NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.consume(True)
        if tok != _IDENT:
            raise ValueError(f"found '{lit}', expected: identifier")
        key_errs = validate_label_key(lit)
        if key_errs:
            raise ValueError(field_invalid(None, lit, "; ".join(key_errs)).message)
        t, _ = self.lookahead(True)
        if t in (_EOS, _COMMA) and op != DOES_NOT_EXIST:
            op = EXISTS
        return lit, op

    def operator(self) -> str:
        tok, lit = self.consume(False)
        op = _OPERATOR_TOKENS.get(tok)
        if op is None:
            raise ValueError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return op

    def values(self) -> set[str]:
        tok, lit = self.consume(True)
        if tok != _OPEN:
            raise ValueError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(True)
        if tok in (_IDENT, _COMMA):
            found = self.identifiers()
            if self.consume(True)[0] != _CLOSE:
                raise ValueError(f"found '{lit}', expected: ')'")
            return found
        if tok == _CLOSE:
            self.consume(True)
            return {""}
        raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        found: set[str] = set()
        while True:
            tok, lit = self.consume(True)
            if tok == _IDENT:
                found.add(lit)
                tok2, lit2 = self.lookahead(True)
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSE:
                    return found
                raise ValueError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not found:
                    found.add("")  # "(," starts with an empty value
                tok2, _ = self.lookahead(True)
                if tok2 in (_CLOSE, _COMMA):
                    found.add("")  # ",)" and ",," hold empty values
                    if tok2 == _CLOSE:
                        return found
                continue
            raise ValueError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead(True)
        if tok in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume(True)
        if tok == _IDENT:
            return {lit}
        raise ValueError(f"found '{lit}', expected: identifier")


def parse_selector(text: str) -> Selector:
    """Parse the text form of a label selector; the empty string selects everything.

    Raises ``ValueError`` with upstream's message (e.g. ``unable to parse requirement: found '', expected: in,
    notin, =, ==, !=, gt, lt``).
    """
    reqs = _Parser(text).parse()
    if not reqs:
        return _EVERYTHING
    reqs.sort(key=lambda r: r.key)
    return Selector(reqs)
