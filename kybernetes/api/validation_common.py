"""Building blocks of API validation: format checks, name rules, Go value rendering and small accessors.

Upstream's validation code (``k8s.io/apimachinery/pkg/util/validation`` and friends) is a library of tiny
predicates that return human-readable reasons ("must be no more than 63 characters", "a lowercase RFC 1123 label
must consist of ...") which the per-type validators wrap into field errors. This module holds the same predicates,
each returning the list of reasons (empty when the value is fine), plus:

* the name validators used for ``metadata.name`` (DNS-1123 subdomain, DNS-1123 label, DNS-1035 label, path
  segment), which take a ``prefix`` flag for ``generateName`` (a trailing dash is then allowed);
* Go value rendering: upstream prints a bad value with Go's ``%#v`` when it is a struct, so a few messages show
  e.g. ``v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, ...}``. :class:`GoLiteral` carries such a
  pre-rendered text through :class:`~kybernetes.machinery.errors.FieldError` unchanged;
* accessors that read the JSON dicts defensively (a wrong JSON type is the decoder's business, see
  ``validation_decode``; validation must never crash on it);
* semantic equality as upstream's ``apiequality.Semantic.DeepEqual`` sees it (absent, null and empty are equal).

Everything here is pure and safe to share between tasks.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

from kybernetes.machinery.errors import FieldError, FieldPath, field_invalid, field_required, go_quote
from kybernetes.machinery.labels import validate_label_key, validate_label_value
from kybernetes.machinery.quantity import parse_quantity_with_format

__all__ = [
    "GoLiteral",
    "NameFunc",
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
    "dns1123_label",
    "dns1123_subdomain",
    "dns1035_label",
    "qualified_name",
    "label_value",
    "name_is_dns_subdomain",
    "name_is_dns_label",
    "name_is_dns1035_label",
    "path_segment_name",
    "inclusive_range_error",
    "port_num",
    "port_name",
    "percent",
    "http_header_name",
    "env_var_name",
    "relaxed_env_var_name",
    "config_map_key",
    "wildcard_dns1123_subdomain",
    "valid_ip",
    "valid_cidr",
    "parse_ip_sloppy",
    "go_time",
    "go_string_slice",
    "go_string_map",
    "go_label_selector",
    "go_int_or_string",
    "sem_equal",
    "nonnegative",
    "immutable",
    "as_dict",
    "as_list",
    "as_str",
    "as_int",
    "quantity",
]

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"

NameFunc = Callable[[str, bool], list[str]]


class GoLiteral:
    """A value already rendered the way Go's ``%#v`` would print it; shown verbatim in error messages."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"GoLiteral({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoLiteral) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


# ---------------------------------------------------------------------------------------------------------------
# Message builders
# ---------------------------------------------------------------------------------------------------------------


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Upstream's RegexError: the message, the examples (joined with a double space, as upstream does) and the
    regular expression."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i:
            out += " or "
        out += f"'{ex}', "
    return out + f"regex used for validation is '{fmt}')"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def _blen(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode())


# ---------------------------------------------------------------------------------------------------------------
# DNS names
# ---------------------------------------------------------------------------------------------------------------

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_LABEL_ERR = regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character",
    _DNS1123_LABEL_FMT,
    "my-name",
    "123-abc",
)
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_ERR = regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character",
    _DNS1123_SUBDOMAIN_FMT,
    "example.com",
)
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_RE = re.compile(_DNS1035_LABEL_FMT)
_DNS1035_LABEL_ERR = regex_error(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character",
    _DNS1035_LABEL_FMT,
    "my-name",
    "abc-123",
)
_WILDCARD_FMT = "\\*\\." + _DNS1123_SUBDOMAIN_FMT
_WILDCARD_RE = re.compile(_WILDCARD_FMT)
_WILDCARD_ERR = regex_error(
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of "
    "lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
    _WILDCARD_FMT,
    "*.example.com",
)


def dns1123_label(value: str) -> list[str]:
    """IsDNS1123Label."""
    errs = []
    if _blen(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1123_LABEL_RE.fullmatch(value):
        errs.append(_DNS1123_LABEL_ERR)
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """IsDNS1123Subdomain."""
    errs = []
    if _blen(value) > 253:
        errs.append(max_len_error(253))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(_DNS1123_SUBDOMAIN_ERR)
    return errs


def dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label."""
    errs = []
    if _blen(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1035_LABEL_RE.fullmatch(value):
        errs.append(_DNS1035_LABEL_ERR)
    return errs


def wildcard_dns1123_subdomain(value: str) -> list[str]:
    """IsWildcardDNS1123Subdomain."""
    errs = []
    if _blen(value) > 253:
        errs.append(max_len_error(253))
    if not _WILDCARD_RE.fullmatch(value):
        errs.append(_WILDCARD_ERR)
    return errs


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName (label keys, annotation keys, finalizers, condition types...)."""
    return validate_label_key(value)


def label_value(value: str) -> list[str]:
    """IsValidLabelValue."""
    return validate_label_value(value)


def _mask_trailing_dash(name: str) -> str:
    if name.endswith("-"):
        return name[: max(len(name) - 2, 0)] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool = False) -> list[str]:
    """NameIsDNSSubdomain (most object names)."""
    return dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, prefix: bool = False) -> list[str]:
    """NameIsDNSLabel (namespaces, StatefulSets, ...)."""
    return dns1123_label(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1035_label(name: str, prefix: bool = False) -> list[str]:
    """NameIsDNS1035Label (Services)."""
    return dns1035_label(_mask_trailing_dash(name) if prefix else name)


def path_segment_name(name: str, prefix: bool = False) -> list[str]:
    """IsValidPathSegmentName / ValidatePathSegmentName: no '.', '..', '/' or '%' (RBAC names, references)."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


# ---------------------------------------------------------------------------------------------------------------
# Ports, percents, headers, env vars, config keys
# ---------------------------------------------------------------------------------------------------------------


def port_num(port: Any) -> list[str]:
    """IsValidPortNum: 1-65535."""
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


_PORT_NAME_CHARSET = re.compile(r"[-a-z0-9]+")
_PORT_NAME_LETTER = re.compile(r"[a-z]")


def port_name(port: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME)."""
    errs = []
    if _blen(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET.fullmatch(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


_PERCENT_FMT = "[0-9]+%"
_PERCENT_RE = re.compile(_PERCENT_FMT)


def percent(value: str) -> list[str]:
    """IsValidPercent."""
    if not _PERCENT_RE.fullmatch(value):
        return [
            regex_error("a valid percent string must be a numeric string followed by an ending '%'", _PERCENT_FMT, "1%", "93%")
        ]
    return []


_HEADER_FMT = "[-A-Za-z0-9]+"
_HEADER_RE = re.compile(_HEADER_FMT)


def http_header_name(value: str) -> list[str]:
    """IsHTTPHeaderName."""
    if not _HEADER_RE.fullmatch(value):
        return [regex_error("a valid HTTP header must consist of alphanumeric characters or '-'", _HEADER_FMT, "X-Header-Name")]
    return []


def _chdir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


_ENV_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV_RE = re.compile(_ENV_FMT)


def env_var_name(value: str) -> list[str]:
    """IsEnvVarName (strict; RelaxedEnvironmentVariableValidation off)."""
    errs = []
    if not _ENV_RE.fullmatch(value):
        errs.append(
            regex_error(
                "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
                "and must not start with a digit",
                _ENV_FMT,
                "my.env-name",
                "MY_ENV.NAME",
                "MyEnvName1",
            )
        )
    return errs + _chdir_prefix(value)


def relaxed_env_var_name(value: str) -> list[str]:
    """IsRelaxedEnvVarName (the 1.32 default: RelaxedEnvironmentVariableValidation is beta and on)."""
    errs = []
    if not value:
        errs.append("environment variable name must be non-empty")
    for ch in value:
        if ord(ch) > 127 or not ch.isprintable() or ch == "=":
            errs.append("a valid environment variable name must consist only of printable ASCII characters other than '='")
            break
    return errs


_CM_KEY_FMT = "[-._a-zA-Z0-9]+"
_CM_KEY_RE = re.compile(_CM_KEY_FMT)


def config_map_key(value: str) -> list[str]:
    """IsConfigMapKey (ConfigMap/Secret data keys)."""
    errs = []
    if _blen(value) > 253:
        errs.append(max_len_error(253))
    if not _CM_KEY_RE.fullmatch(value):
        errs.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                _CM_KEY_FMT,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    return errs + _chdir_prefix(value)


def is_fully_qualified_domain_name(path: FieldPath, name: str) -> list[FieldError]:
    """IsFullyQualifiedDomainName (EndpointSlice FQDN addresses)."""
    if not name:
        return [field_required(path, "")]
    if name.endswith("."):
        name = name[:-1]
    errs = dns1123_subdomain(name)
    if errs:
        return [field_invalid(path, name, ",".join(errs))]
    parts = name.split(".")
    if len(parts) < 2:
        return [field_invalid(path, name, "should be a domain with at least two segments separated by dots")]
    for label in parts:
        errs = dns1123_label(label)
        if errs:
            return [field_invalid(path, label, ",".join(errs))]
    return []


_HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+"
_HTTP_PATH_RE = re.compile(_HTTP_PATH_FMT)


def is_domain_prefixed_path(path: FieldPath, value: str) -> list[FieldError]:
    """IsDomainPrefixedPath (``example.com/foo``: IngressClass controller, Job managedBy)."""
    if not value:
        return [field_required(path, "")]
    parts = value.split("/", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return [field_invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    out = [field_invalid(path, parts[0], msg) for msg in dns1123_subdomain(parts[0])]
    if not _HTTP_PATH_RE.fullmatch(parts[1]):
        out.append(field_invalid(path, parts[1], regex_error("Invalid path", _HTTP_PATH_FMT)))
    return out


# ---------------------------------------------------------------------------------------------------------------
# IP addresses (Go's net.ParseIP accepts leading zeros in IPv4: "sloppy" parsing)
# ---------------------------------------------------------------------------------------------------------------

_IPV4_SLOPPY = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")


def parse_ip_sloppy(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address Go's ``netutils.ParseIPSloppy`` reads from ``text``, or None."""
    if not isinstance(text, str) or not text or "%" in text or "/" in text:
        return None
    return _parse_ip_text(text)


@functools.lru_cache(maxsize=16384)
def _parse_ip_text(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # the same addresses come back in every status write of a pod or node: parse each once
    m = _IPV4_SLOPPY.fullmatch(text)
    if m:
        octets = [int(g) for g in m.groups()]
        if all(o <= 255 for o in octets):
            return ipaddress.IPv4Address(".".join(map(str, octets)))
        return None
    if ":" not in text:
        return None
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        # IPv6 with an embedded sloppy IPv4 tail
        head, _, tail = text.rpartition(":")
        m = _IPV4_SLOPPY.fullmatch(tail)
        if not m or not all(int(g) <= 255 for g in m.groups()):
            return None
        try:
            addr = ipaddress.IPv6Address(head + ":" + ".".join(str(int(g)) for g in m.groups()))
        except ValueError:
            return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def valid_ip(path: FieldPath, value: Any) -> list[FieldError]:
    """IsValidIP."""
    if parse_ip_sloppy(value) is None:
        return [field_invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    return []


def parse_cidr_sloppy(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network of Go's ``netutils.ParseCIDRSloppy``, or None."""
    if not isinstance(value, str) or value.count("/") != 1:
        return None
    addr_text, _, bits = value.partition("/")
    addr = parse_ip_sloppy(addr_text)
    if addr is None:
        return None
    if not bits.isdigit() or (len(bits) > 1 and bits[0] == "0"):
        return None
    n = int(bits)
    if n > (32 if addr.version == 4 else 128):
        return None
    return ipaddress.ip_network(f"{addr}/{n}", strict=False)


def valid_cidr(path: FieldPath, value: Any) -> list[FieldError]:
    """IsValidCIDR."""
    if parse_cidr_sloppy(value) is None:
        return [field_invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")]
    return []


def non_special_ip(path: FieldPath, value: str) -> list[FieldError]:
    """ValidateNonSpecialIP: no unspecified, loopback or link-local addresses (Endpoints, externalIPs)."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        return [field_invalid(path, value, "must be a valid IP address")]
    out = []
    if ip.is_unspecified:
        out.append(field_invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        out.append(field_invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local:
        out.append(field_invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if ip in _LL_MCAST4 or ip in _LL_MCAST6:
        out.append(field_invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return out


_LL_MCAST4 = ipaddress.ip_network("224.0.0.0/24")
_LL_MCAST6 = ipaddress.ip_network("ff02::/16")


# ---------------------------------------------------------------------------------------------------------------
# Go rendering of values that are structs upstream
# ---------------------------------------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def go_time(value: Any) -> Any:
    """A metav1.Time as Go prints it (``2024-01-02 03:04:05 +0000 UTC``); ``"null"`` for a missing time."""
    if value is None:
        return "null"
    if not isinstance(value, str):
        return value
    m = _RFC3339.fullmatch(value)
    if not m:
        return value
    import datetime

    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac = m.group(7) or ""
    tz = m.group(8)
    off = datetime.timedelta(0)
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        off = sign * datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    try:
        t = datetime.datetime(y, mo, d, h, mi, s) - off
    except ValueError:
        return value
    frac = frac.rstrip("0") if frac else ""
    if frac == ".":
        frac = ""
    return GoLiteral(f"{t:%Y-%m-%d %H:%M:%S}{frac} +0000 UTC")


def go_value(v: Any) -> str:
    """Go ``%#v`` of a JSON scalar inside a composite literal."""
    if isinstance(v, str):
        return go_quote(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "nil"
    return str(v)


def go_string_slice(values: Any) -> GoLiteral:
    """``[]string{"a", "b"}``, ``[]string{}`` or ``[]string(nil)``."""
    if values is None:
        return GoLiteral("[]string(nil)")
    return GoLiteral("[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}")


def go_string_map(values: Any) -> GoLiteral:
    """``map[string]string{"a":"b"}`` (sorted keys) or ``map[string]string(nil)``."""
    if values is None:
        return GoLiteral("map[string]string(nil)")
    if not isinstance(values, Mapping):
        return GoLiteral(str(values))
    return GoLiteral(
        "map[string]string{" + ", ".join(f"{go_quote(k)}:{go_quote(str(values[k]))}" for k in sorted(values)) + "}"
    )


def go_label_selector(sel: Any) -> Any:
    """A metav1.LabelSelector the way ``%#v`` shows it (``v1.LabelSelector{MatchLabels:..., MatchExpressions:...}``);
    ``"null"`` for a missing selector."""
    if sel is None:
        return "null"
    if not isinstance(sel, Mapping):
        return sel
    ml = go_string_map(sel.get("matchLabels")).text
    exprs = sel.get("matchExpressions")
    if exprs is None:
        me = "[]v1.LabelSelectorRequirement(nil)"
    else:
        items = []
        for e in exprs if isinstance(exprs, list) else []:
            e = e if isinstance(e, Mapping) else {}
            items.append(
                "v1.LabelSelectorRequirement{Key:%s, Operator:%s, Values:%s}"
                % (go_quote(str(e.get("key", ""))), go_quote(str(e.get("operator", ""))), go_string_slice(e.get("values")).text)
            )
        me = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}")


def go_int_or_string(v: Any) -> GoLiteral:
    """An intstr.IntOrString the way ``%#v`` shows it."""
    if isinstance(v, str):
        return GoLiteral(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(v)}}}")
    if isinstance(v, int) and not isinstance(v, bool):
        return GoLiteral(f"intstr.IntOrString{{Type:0, IntVal:{v}, StrVal:\"\"}}")
    return GoLiteral('intstr.IntOrString{Type:0, IntVal:0, StrVal:""}')


def go_struct(type_name: str, obj: Any) -> GoLiteral:
    """A best-effort ``%#v`` of a JSON object as Go struct ``type_name`` (fields capitalised, in JSON order)."""
    if not isinstance(obj, Mapping):
        return GoLiteral(f"{type_name}{{}}")
    return GoLiteral(type_name + _go_any(obj))


# JSON fields that are Go maps keyed by user data (rendered ``map[string]string{"k":"v"}``, keys kept as they are).
_GO_MAP_FIELDS = frozenset({"labels", "annotations", "nodeSelector", "matchLabels", "selector", "data", "limits", "requests"})


def _go_field_name(key: str) -> str:
    return "ObjectMeta" if key == "metadata" else key[:1].upper() + key[1:]


def _go_any(v: Any, key: str = "") -> str:
    if isinstance(v, Mapping):
        if key in _GO_MAP_FIELDS and all(isinstance(x, str) for x in v.values()):
            return go_string_map(v)
        return "{" + ", ".join(f"{_go_field_name(k)}:{_go_any(x, k)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "{" + ", ".join(_go_any(x) for x in v) + "}"
    return go_value(v)


# ---------------------------------------------------------------------------------------------------------------
# Accessors, equality, small validators
# ---------------------------------------------------------------------------------------------------------------


def as_dict(v: Any) -> dict:
    """``v`` if it is a JSON object, else an empty dict."""
    return v if isinstance(v, dict) else {}


def as_list(v: Any) -> list:
    """``v`` if it is a JSON array, else an empty list."""
    return v if isinstance(v, list) else []


def as_str(v: Any) -> str:
    """``v`` if it is a string, else the empty string (Go's zero value)."""
    return v if isinstance(v, str) else ""


def as_int(v: Any, default: int = 0) -> int:
    """``v`` if it is an integer (not a bool), else ``default``."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return default


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def quantity(v: Any) -> Fraction | None:
    """The value of a quantity field, or None when absent or unparsable (the decoder reports the latter)."""
    if v is None:
        return None
    try:
        return parse_quantity_with_format(v)[0]
    except ValueError:
        return None


def canonical_quantity(v: Any) -> str:
    """The canonical text of a quantity (``Quantity.String()``)."""
    from kybernetes.machinery.quantity import canonicalize

    try:
        return canonicalize(v)
    except ValueError:
        return str(v)


def _zeroish(v: Any) -> bool:
    return v is None or v == {} or v == [] or v == "" or v is False or (is_int(v) and v == 0)


def normalize(v: Any) -> Any:
    """``v`` with zero-valued members removed, so equality matches Go's struct equality of decoded values."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = normalize(x)
            if not _zeroish(x):
                out[k] = x
        return out
    if isinstance(v, list):
        return [normalize(x) for x in v]
    return v


def sem_equal(a: Any, b: Any) -> bool:
    """apiequality.Semantic.DeepEqual on decoded JSON: absent, null, empty and zero members compare equal."""
    if a is b:
        return True
    return normalize(a) == normalize(b)


def nonnegative(value: Any, path: FieldPath) -> list[FieldError]:
    """ValidateNonnegativeField."""
    if is_int(value) and value < 0:
        return [field_invalid(path, value, IS_NEGATIVE)]
    return []


def immutable(new: Any, old: Any, path: FieldPath, shown: Any = None) -> list[FieldError]:
    """ValidateImmutableField: ``field is immutable`` showing ``shown`` (default: the new value) when changed."""
    if sem_equal(new, old):
        return []
    return [field_invalid(path, new if shown is None else shown, FIELD_IMMUTABLE)]


def sorted_items(m: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """A map's items in a stable order (Go iterates maps randomly; we pick sorted order)."""
    return sorted(m.items())
