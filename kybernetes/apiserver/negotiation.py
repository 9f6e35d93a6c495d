"""Content negotiation: what a request body is, and in what shape the client wants the answer.

Bodies: JSON (``application/json``, and the patch types that carry JSON), YAML (``application/yaml``,
``application/apply-patch+yaml``) and Kubernetes protobuf (``application/vnd.kubernetes.protobuf``, decoded by
``api.protobuf`` into the same JSON dicts).
Answers: JSON always; the ``Accept`` header may ask for a ``meta.k8s.io`` Table (kubectl get) or
PartialObjectMetadata(List) (metadata-only informers). Bodies over 3 MiB are refused with 413 as upstream.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import orjson
import yaml
from aiohttp import web

from kybernetes.api import protobuf
from kybernetes.machinery import errors

__all__ = ["MAX_BODY", "Accept", "parse_accept", "read_body", "json_response", "status_response", "path_not_found",
           "method_not_allowed"]

MAX_BODY = 3 * 1024 * 1024

JSON = "application/json"
_JSON_TYPES = {
    "application/json",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "*/*",
    "",
}
_YAML_TYPES = {"application/yaml", "application/apply-patch+yaml", "application/x-yaml", "text/yaml"}
PROTOBUF = "application/vnd.kubernetes.protobuf"
_ACCEPTED = ["application/json", "application/yaml", PROTOBUF]


@dataclass(frozen=True, slots=True)
class Accept:
    """What the client accepts: ``as_`` is "" (the object), "Table", "PartialObjectMetadata" or its List."""

    as_: str = ""
    version: str = "v1"


@functools.lru_cache(maxsize=256)  # clients send a handful of distinct headers, each many times
def parse_accept(header: str) -> Accept:
    """The preferred answer shape from an Accept header; falls back to plain JSON.

    Raises 406 NotAcceptable when only media types we cannot produce are offered.
    """
    if not header:
        return Accept()
    ok_plain = False
    for part in header.split(","):
        bits = [b.strip() for b in part.split(";")]
        mt = bits[0].lower()
        params = {}
        for b in bits[1:]:
            if "=" in b:
                k, v = b.split("=", 1)
                params[k.strip()] = v.strip()
        if mt in ("application/json", "*/*", "application/*", "application/yaml", "application/json;stream=watch"):
            as_ = params.get("as", "")
            if as_:
                if params.get("g") == "meta.k8s.io" and as_ in ("Table", "PartialObjectMetadata",
                                                               "PartialObjectMetadataList"):
                    return Accept(as_=as_, version=params.get("v", "v1"))
                continue
            ok_plain = True
            break
        if mt == PROTOBUF and not params.get("as"):
            continue
    if ok_plain:
        return Accept()
    # only protobuf or unknown forms offered: JSON is still what we can produce, upstream answers 406
    if PROTOBUF in header or "as=" in header:
        raise errors.not_acceptable([JSON, "application/yaml"])
    return Accept()


async def read_body(request: web.BaseRequest, *, allow_empty: bool = False) -> tuple[Any, str]:
    """Read and decode the request body; returns (value, media type). Raises StatusError 400/413/415.

    An empty body is a 400, or (None, type) with ``allow_empty``."""
    ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise errors.request_entity_too_large("limit is 3145728")
    data = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        data += chunk
        if len(data) > MAX_BODY:
            raise errors.request_entity_too_large("limit is 3145728")
    if not data.strip() and allow_empty:
        return None, ctype
    if ctype == PROTOBUF:
        try:
            return protobuf.decode(bytes(data)), ctype
        except protobuf.ProtobufError as e:
            raise errors.bad_request(f"failed to decode protobuf body: {e}") from None
    if ctype in _YAML_TYPES:
        try:
            value = _load_yaml(bytes(data).decode())
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise errors.bad_request(f"error converting YAML to JSON: {e}") from None
        return value, ctype
    if ctype not in _JSON_TYPES:
        raise errors.unsupported_media_type(_ACCEPTED)
    if not data.strip():
        raise errors.bad_request("the body of the request was empty")
    try:
        return orjson.loads(data), ctype or JSON
    except orjson.JSONDecodeError as e:
        try:
            # YAML is a superset of JSON that kubectl never sends, but other clients do send it as JSON
            value = _load_yaml(bytes(data).decode())
            if isinstance(value, (dict, list)):
                return value, ctype or JSON
        except Exception:
            pass
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {e}") from None


class _BodyLoader(yaml.SafeLoader):
    """YAML as upstream reads a body (YAML converted to JSON): timestamps stay the strings they were written as,
    so a decoded body holds only JSON values."""


_BodyLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_BodyLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_BodyLoader)  # noqa: S506 - a SafeLoader


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = value if isinstance(value, (bytes, bytearray)) else orjson.dumps(value)
    return web.Response(body=body, status=status, content_type=JSON, headers=headers)


def status_response(err: errors.StatusError) -> web.Response:
    return json_response(err.status(), status=err.code)


def path_not_found() -> errors.StatusError:
    """404 for a path that names no served resource (upstream's generic NotFound Status)."""
    return errors.StatusError(404, "NotFound", "the server could not find the requested resource",
                              {})


def method_not_allowed() -> errors.StatusError:
    """405 for a verb the resource does not serve (upstream's router answer)."""
    return errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                              "resource", {})
