"""The error raised by the patch engines (JSON patch, JSON merge patch, strategic merge patch).

Upstream answers a bad patch with different HTTP statuses depending on what went wrong, so the error carries
the status the API server should use:

* 400 BadRequest - the patch document itself is malformed (not a list of operations, a merge patch that is not
  an object, a malformed ``$retainKeys`` / ``$deleteFromPrimitiveList`` / ``$setElementOrder`` directive);
* 422 Invalid - the patch is well formed but cannot be applied (a failed ``test``, a missing path, lists of
  lists in a strategic merge patch); upstream reports these with the generic message "the server rejected our
  request due to an error in our request" and puts the detail in the error text;
* 500 InternalError - any other strategic-merge failure (upstream passes the raw error through).
"""

from __future__ import annotations

__all__ = ["PatchError"]


class PatchError(ValueError):
    """A patch that cannot be decoded or applied; ``code`` is the HTTP status upstream answers with."""

    def __init__(self, message: str, *, code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"PatchError({self.message!r}, code={self.code})"
