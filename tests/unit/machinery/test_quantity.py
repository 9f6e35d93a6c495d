"""Resource quantities: parsing, canonical formatting and integer views as upstream's resource.Quantity."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kybernetes.machinery.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    canonicalize,
    format_quantity,
    milli_value,
    parse_quantity,
    parse_quantity_with_format,
    value,
)

FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
SUFFIX_ERROR = "unable to parse quantity's suffix"
MAX = 2**63 - 1

PARSE_CASES = [
    pytest.param("0", Fraction(0), DECIMAL_SI, id="zero"),
    pytest.param("1", Fraction(1), DECIMAL_SI, id="one"),
    pytest.param("+1", Fraction(1), DECIMAL_SI, id="plus"),
    pytest.param("-1", Fraction(-1), DECIMAL_SI, id="minus"),
    pytest.param("001", Fraction(1), DECIMAL_SI, id="leading-zeros"),
    pytest.param(".5", Fraction(1, 2), DECIMAL_SI, id="bare-fraction"),
    pytest.param("5.", Fraction(5), DECIMAL_SI, id="trailing-dot"),
    pytest.param("100m", Fraction(1, 10), DECIMAL_SI, id="milli"),
    pytest.param("1n", Fraction(1, 10**9), DECIMAL_SI, id="nano"),
    pytest.param("1u", Fraction(1, 10**6), DECIMAL_SI, id="micro"),
    pytest.param("2k", Fraction(2000), DECIMAL_SI, id="kilo"),
    pytest.param("3M", Fraction(3 * 10**6), DECIMAL_SI, id="mega"),
    pytest.param("1G", Fraction(10**9), DECIMAL_SI, id="giga"),
    pytest.param("1T", Fraction(10**12), DECIMAL_SI, id="tera"),
    pytest.param("1P", Fraction(10**15), DECIMAL_SI, id="peta"),
    pytest.param("1E", Fraction(10**18), DECIMAL_SI, id="exa"),
    pytest.param("1Ki", Fraction(1024), BINARY_SI, id="kibi"),
    pytest.param("1.5Mi", Fraction(1572864), BINARY_SI, id="mebi-fraction"),
    pytest.param("128Gi", Fraction(128 * 2**30), BINARY_SI, id="gibi"),
    pytest.param("1Ti", Fraction(2**40), BINARY_SI, id="tebi"),
    pytest.param("1Pi", Fraction(2**50), BINARY_SI, id="pebi"),
    pytest.param("1Ei", Fraction(2**60), BINARY_SI, id="exbi"),
    pytest.param("0.5Ki", Fraction(512), BINARY_SI, id="half-kibi"),
    pytest.param("0.5Mi", Fraction(524288), BINARY_SI, id="half-mebi"),
    pytest.param("1e3", Fraction(1000), DECIMAL_EXPONENT, id="exponent"),
    pytest.param("1E3", Fraction(1000), DECIMAL_EXPONENT, id="exponent-upper"),
    pytest.param("1e-3", Fraction(1, 1000), DECIMAL_EXPONENT, id="negative-exponent"),
    pytest.param("1e+3", Fraction(1000), DECIMAL_EXPONENT, id="plus-exponent"),
    pytest.param("1.5e3", Fraction(1500), DECIMAL_EXPONENT, id="fraction-exponent"),
    pytest.param("0.1n", Fraction(1, 10**9), DECIMAL_SI, id="below-nano-rounds-up"),
    pytest.param("-0.1n", Fraction(-1, 10**9), DECIMAL_SI, id="below-nano-rounds-away-from-zero"),
    pytest.param("1.0000000001", Fraction(1000000001, 10**9), DECIMAL_SI, id="sub-nano-precision-rounds-up"),
    pytest.param("10E", Fraction(MAX), DECIMAL_SI, id="capped"),
    pytest.param("-10E", Fraction(-MAX), DECIMAL_SI, id="capped-negative"),
    pytest.param("8Ei", Fraction(MAX), BINARY_SI, id="capped-binary"),
    pytest.param("1e9999", Fraction(MAX), DECIMAL_EXPONENT, id="huge-exponent"),
    pytest.param("1e-9999", Fraction(1, 10**9), DECIMAL_EXPONENT, id="tiny-exponent"),
    pytest.param("0Ki", Fraction(0), BINARY_SI, id="zero-binary"),
    pytest.param(" 2 ", Fraction(2), DECIMAL_SI, id="whitespace-trimmed"),
    pytest.param("-", Fraction(0), DECIMAL_SI, id="bare-sign-is-zero-as-upstream"),
    pytest.param(".", Fraction(0), DECIMAL_SI, id="bare-dot-is-zero-as-upstream"),
    pytest.param(2, Fraction(2), DECIMAL_SI, id="json-int"),
    pytest.param(0.25, Fraction(1, 4), DECIMAL_SI, id="json-float"),
    pytest.param(1e-05, Fraction(1, 100000), DECIMAL_EXPONENT, id="json-float-exponent"),
]


@pytest.mark.parametrize(("text", "expected", "fmt"), PARSE_CASES)
def test_parse(text: str | int | float, expected: Fraction, fmt: str) -> None:
    assert parse_quantity_with_format(text) == (expected, fmt)
    assert parse_quantity(text) == expected


ERROR_CASES = [
    pytest.param("", FORMAT_ERROR, id="empty"),
    pytest.param("   ", FORMAT_ERROR, id="blank"),
    pytest.param("aoeu", FORMAT_ERROR, id="letters"),
    pytest.param("1.1.M", FORMAT_ERROR, id="two-dots"),
    pytest.param("1+1.0M", FORMAT_ERROR, id="plus-in-middle"),
    pytest.param("1 Gi", FORMAT_ERROR, id="inner-space"),
    pytest.param("5Gi3x", FORMAT_ERROR, id="trailing-garbage"),
    pytest.param("1i", SUFFIX_ERROR, id="bad-suffix-i"),
    pytest.param("0.1mi", SUFFIX_ERROR, id="bad-suffix-mi"),
    pytest.param(".5i", SUFFIX_ERROR, id="bad-suffix-dot"),
    pytest.param("1e", SUFFIX_ERROR, id="bare-e"),
    pytest.param("1e-", SUFFIX_ERROR, id="e-sign-only"),
    pytest.param("1Gi3", SUFFIX_ERROR, id="digits-after-binary-suffix"),
    pytest.param("1KB", FORMAT_ERROR, id="bytes-suffix"),
    pytest.param(True, FORMAT_ERROR, id="bool"),
    pytest.param(float("inf"), FORMAT_ERROR, id="infinity"),
    pytest.param(None, FORMAT_ERROR, id="none"),
]


@pytest.mark.parametrize(("text", "message"), ERROR_CASES)
def test_parse_errors(text: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_quantity(text)  # type: ignore[arg-type]
    assert str(info.value) == message


CANONICAL_CASES = [
    pytest.param("0", "0", id="zero"),
    pytest.param("0m", "0", id="zero-milli"),
    pytest.param("0Ki", "0", id="zero-kibi"),
    pytest.param("-0", "0", id="negative-zero"),
    pytest.param("1000m", "1", id="milli-to-unit"),
    pytest.param("0.5", "500m", id="half"),
    pytest.param("0.1", "100m", id="tenth"),
    pytest.param("1.5", "1500m", id="one-and-a-half"),
    pytest.param("100m", "100m", id="milli-kept"),
    pytest.param("1000", "1k", id="thousand"),
    pytest.param("1500", "1500", id="fifteen-hundred"),
    pytest.param("1.5k", "1500", id="kilo-fraction"),
    pytest.param("15000", "15k", id="fifteen-thousand"),
    pytest.param("1000000", "1M", id="million"),
    pytest.param("2048", "2048", id="no-trailing-zeros"),
    pytest.param("1n", "1n", id="nano"),
    pytest.param("0.1n", "1n", id="sub-nano"),
    pytest.param("1000n", "1u", id="nano-to-micro"),
    pytest.param("1.0001m", "1000100n", id="fine-milli"),
    pytest.param("1024Mi", "1Gi", id="mebi-to-gibi"),
    pytest.param("1Ki", "1Ki", id="kibi"),
    pytest.param("1024Ki", "1Mi", id="kibi-to-mebi"),
    pytest.param("1023Ki", "1023Ki", id="kibi-kept"),
    pytest.param("1.5Ki", "1536", id="kibi-fraction-to-plain"),
    pytest.param("1.5Mi", "1536Ki", id="mebi-fraction"),
    pytest.param("1.5Gi", "1536Mi", id="gibi-fraction"),
    pytest.param("0.5Ki", "512", id="half-kibi-below-1024"),
    pytest.param("0.5Mi", "512Ki", id="half-mebi"),
    pytest.param("1536Mi", "1536Mi", id="mebi-kept"),
    pytest.param("-1Gi", "-1Gi", id="negative-binary"),
    pytest.param("-1.5Ki", "-1536", id="negative-binary-fraction"),
    pytest.param("1e3", "1e3", id="exponent"),
    pytest.param("1E3", "1e3", id="exponent-upper"),
    pytest.param("12e6", "12e6", id="exponent-stripped"),
    pytest.param("0.5e3", "500", id="exponent-no-suffix"),
    pytest.param("1.5e3", "1500", id="exponent-fraction"),
    pytest.param("1e-3", "1e-3", id="exponent-negative"),
    pytest.param("1e0", "1", id="exponent-zero"),
    pytest.param("-500m", "-500m", id="negative-milli"),
    pytest.param("10E", "9223372036854775807", id="capped"),
    pytest.param("8Ei", "9223372036854775807", id="capped-binary"),
    pytest.param("1Ei", "1Ei", id="exbi"),
    pytest.param("7Ei", "7Ei", id="seven-exbi"),
    pytest.param(1000, "1k", id="json-int"),
    pytest.param(0.5, "500m", id="json-float"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL_CASES)
def test_canonicalize(text: str | int | float, canonical: str) -> None:
    assert canonicalize(text) == canonical
    assert canonicalize(canonical) == canonical  # canonical form is a fixed point


FORMAT_CASES = [
    pytest.param(Fraction(3, 2), DECIMAL_SI, "1500m", id="decimal"),
    pytest.param(Fraction(1, 3), DECIMAL_SI, "333333334n", id="rounded-up-to-nano"),
    pytest.param(Fraction(-1, 3), DECIMAL_SI, "-333333334n", id="rounded-away-from-zero"),
    pytest.param(Fraction(1024), BINARY_SI, "1Ki", id="binary"),
    pytest.param(Fraction(1023), BINARY_SI, "1023", id="binary-small"),
    pytest.param(Fraction(3073, 2), BINARY_SI, "1536500m", id="binary-not-whole"),
    pytest.param(Fraction(1500), DECIMAL_EXPONENT, "1500", id="exponent-plain"),
    pytest.param(Fraction(15000), DECIMAL_EXPONENT, "15e3", id="exponent"),
    pytest.param(Fraction(1, 1000), DECIMAL_EXPONENT, "1e-3", id="exponent-negative"),
    pytest.param(Fraction(0), BINARY_SI, "0", id="zero"),
    pytest.param(5, DECIMAL_SI, "5", id="int-input"),
    pytest.param(Fraction(2**64), DECIMAL_SI, "9223372036854775807", id="capped"),
]


@pytest.mark.parametrize(("value_", "fmt", "text"), FORMAT_CASES)
def test_format_quantity(value_: Fraction, fmt: str, text: str) -> None:
    assert format_quantity(value_, fmt) == text


@pytest.mark.parametrize(
    ("text", "milli", "whole"),
    [
        pytest.param("1", 1000, 1, id="one"),
        pytest.param("100m", 100, 1, id="milli-rounds-up"),
        pytest.param("1500m", 1500, 2, id="one-and-a-half"),
        pytest.param("-1500m", -1500, -2, id="negative-away-from-zero"),
        pytest.param("1n", 1, 1, id="nano"),
        pytest.param("-1n", -1, -1, id="negative-nano"),
        pytest.param("1Ki", 1024000, 1024, id="kibi"),
        pytest.param("1Gi", 1073741824000, 1073741824, id="gibi"),
        pytest.param("0", 0, 0, id="zero"),
        pytest.param(2, 2000, 2, id="json-int"),
    ],
)
def test_integer_views(text: str | int, milli: int, whole: int) -> None:
    assert milli_value(text) == milli
    assert value(text) == whole
