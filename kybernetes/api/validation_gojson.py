"""Go's JSON decoding errors, for validators that decode embedded JSON documents (docker config secrets).

Upstream checks that a ``kubernetes.io/dockerconfigjson`` secret holds JSON by calling Go's ``json.Unmarshal`` into
a ``map[string]interface{}`` and reporting ``err.Error()``. Go first runs its byte scanner over the whole input, so
a syntax error reads like ``invalid character 'o' in literal null (expecting 'u')`` or ``unexpected end of JSON
input``; a well-formed document of the wrong shape gives ``json: cannot unmarshal array into Go value of type
map[string]interface {}``. This module reproduces the scanner's state machine (encoding/json/scanner.go) closely
enough to give the same first error for the same bytes.
"""

from __future__ import annotations

__all__ = ["go_json_error", "go_json_syntax_error"]

_SPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"


def _quote_char(c: int) -> str:
    """Go's ``quoteChar``: the byte in single quotes, escaped the way ``strconv.Quote`` escapes its rune."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    ch = chr(c)
    if ch == "\\":
        return "'\\\\'"
    if c < 0x20 or c == 0x7F:
        named = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
        return "'" + named.get(c, f"\\x{c:02x}") + "'"
    if 0x80 <= c < 0xA0 or c == 0xAD:
        return f"'\\u{c:04x}'"
    return f"'{ch}'"


class _SyntaxError(Exception):
    pass


class _Scanner:
    """A port of Go's ``encoding/json`` scanner: ``step`` is the current state function."""

    def __init__(self) -> None:
        self.step = self._begin_value
        self.stack: list[str] = []  # "key" (expecting object key) / "value" (object value) / "array"
        self.end_top = False

    def _error(self, c: int, context: str) -> None:
        raise _SyntaxError(f"invalid character {_quote_char(c)} {context}")

    # values
    def _begin_value_or_empty(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x5D:  # ]
            self._end_value(c)
            return
        self._begin_value(c)

    def _begin_value(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x7B:  # {
            self.stack.append("key")
            self.step = self._begin_string_or_empty
        elif c == 0x5B:  # [
            self.stack.append("array")
            self.step = self._begin_value_or_empty
        elif c == 0x22:
            self.step = self._in_string
        elif c == 0x2D:  # -
            self.step = self._neg
        elif c == 0x30:
            self.step = self._zero
        elif 0x31 <= c <= 0x39:
            self.step = self._one
        elif c in b"tfn":
            word = {0x74: b"true", 0x66: b"false", 0x6E: b"null"}[c]
            self.step = self._literal(word, 1)
        else:
            self._error(c, "looking for beginning of value")

    def _begin_string_or_empty(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x7D:  # }
            self.stack[-1] = "value"
            self._end_value(c)
            return
        self._begin_string(c)

    def _begin_string(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x22:
            self.step = self._in_string
            return
        self._error(c, "looking for beginning of object key string")

    def _end_value(self, c: int) -> None:
        if not self.stack:
            self.step = self._end_top
            self.end_top = True
            self._end_top(c)
            return
        if c in _SPACE:
            self.step = self._end_value
            return
        top = self.stack[-1]
        if top == "key":
            if c == 0x3A:  # :
                self.stack[-1] = "value"
                self.step = self._begin_value
                return
            self._error(c, "after object key")
        if top == "value":
            if c == 0x2C:  # ,
                self.stack[-1] = "key"
                self.step = self._begin_string
                return
            if c == 0x7D:
                self._pop()
                return
            self._error(c, "after object key:value pair")
        if c == 0x2C:
            self.step = self._begin_value
            return
        if c == 0x5D:
            self._pop()
            return
        self._error(c, "after array element")

    def _pop(self) -> None:
        self.stack.pop()
        self.step = self._end_value
        if not self.stack:
            self.step = self._end_top
            self.end_top = True

    def _end_top(self, c: int) -> None:
        if c not in _SPACE:
            self._error(c, "after top-level value")

    # strings
    def _in_string(self, c: int) -> None:
        if c == 0x22:
            self.step = self._end_value
        elif c == 0x5C:
            self.step = self._in_string_esc
        elif c < 0x20:
            self._error(c, "in string literal")

    def _in_string_esc(self, c: int) -> None:
        if c in b'bfnrt\\/"':
            self.step = self._in_string
        elif c == 0x75:
            self.step = self._hex(4)
        else:
            self._error(c, "in string escape code")

    def _hex(self, left: int):  # type: ignore[no-untyped-def]
        def state(c: int) -> None:
            if c not in _HEX:
                self._error(c, "in \\u hexadecimal character escape")
            self.step = self._in_string if left == 1 else self._hex(left - 1)

        return state

    # numbers
    def _neg(self, c: int) -> None:
        if c == 0x30:
            self.step = self._zero
        elif 0x31 <= c <= 0x39:
            self.step = self._one
        else:
            self._error(c, "in numeric literal")

    def _one(self, c: int) -> None:
        if c in _DIGITS:
            return
        self._zero(c)

    def _zero(self, c: int) -> None:
        if c == 0x2E:
            self.step = self._dot
        elif c in b"eE":
            self.step = self._e
        else:
            self._end_value(c)

    def _dot(self, c: int) -> None:
        if c in _DIGITS:
            self.step = self._dot0
        else:
            self._error(c, "after decimal point in numeric literal")

    def _dot0(self, c: int) -> None:
        if c in _DIGITS:
            return
        if c in b"eE":
            self.step = self._e
        else:
            self._end_value(c)

    def _e(self, c: int) -> None:
        if c in b"+-":
            self.step = self._e_sign
        else:
            self._e_sign(c)

    def _e_sign(self, c: int) -> None:
        if c in _DIGITS:
            self.step = self._e0
        else:
            self._error(c, "in exponent of numeric literal")

    def _e0(self, c: int) -> None:
        if c not in _DIGITS:
            self._end_value(c)

    # literals
    def _literal(self, word: bytes, i: int):  # type: ignore[no-untyped-def]
        def state(c: int) -> None:
            if c != word[i]:
                self._error(c, f"in literal {word.decode()} (expecting {_quote_char(word[i])})")
            self.step = self._end_value if i + 1 == len(word) else self._literal(word, i + 1)

        return state


def go_json_syntax_error(data: bytes) -> str | None:
    """The ``SyntaxError`` text Go's scanner reports for ``data``, or None when it is well-formed JSON."""
    scanner = _Scanner()
    try:
        for c in data:
            scanner.step(c)
        if scanner.end_top:
            return None
        scanner.step(0x20)
        if scanner.end_top:
            return None
    except _SyntaxError as err:
        return str(err)
    return "unexpected end of JSON input"


def go_json_error(data: bytes) -> str | None:
    """The error Go's ``json.Unmarshal(data, &map[string]interface{}{})`` reports, or None when it decodes."""
    syntax = go_json_syntax_error(data)
    if syntax is not None:
        return syntax
    first = data.lstrip(_SPACE)[:1]
    if first == b"{" or first == b"n":
        return None
    kind = {b"[": "array", b'"': "string", b"t": "bool", b"f": "bool"}.get(first, "number")
    return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
