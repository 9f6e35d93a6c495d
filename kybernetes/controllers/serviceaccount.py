"""The service account controller: every active namespace has a ``default`` ServiceAccount.

Keys are namespace names.  A namespace is queued when it is added or changes, and when one of the ensured
ServiceAccounts in it is deleted.  ``sync`` creates each ensured ServiceAccount (``default``) that the informer
cache does not hold, in namespaces whose phase is Active; "already exists" is success, and so is the refusal
of a namespace that started terminating meanwhile.
"""

from __future__ import annotations

import logging
from typing import Any

from kybernetes.client.informer import object_key
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_already_exists, is_not_found
from kybernetes.machinery.errors import StatusError

__all__ = ["ServiceAccountController", "SERVICE_ACCOUNTS_TO_ENSURE"]

log = logging.getLogger(__name__)

SERVICE_ACCOUNTS_TO_ENSURE = ("default",)


def _terminating_refusal(exc: StatusError) -> bool:
    # the server refuses content in a terminating namespace with 403 (cause NamespaceTerminating upstream)
    causes = ((exc.details or {}).get("causes") or []) if isinstance(exc.details, dict) else []
    return exc.code == 403 and (any(c.get("reason") == "NamespaceTerminating" for c in causes)
                                or "being terminated" in (exc.message or ""))


class ServiceAccountController(Controller):
    """Creates the ensured ServiceAccounts in every active namespace."""

    name = "serviceaccount"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = ctx.informer("", "v1", "namespaces")
        self.service_accounts = ctx.informer("", "v1", "serviceaccounts")
        self.watch(self.namespaces)

        def sa_deleted(obj: dict[str, Any]) -> None:
            md = obj.get("metadata") or {}
            if md.get("name") in SERVICE_ACCOUNTS_TO_ENSURE and md.get("namespace"):
                self.enqueue(md["namespace"])

        self.service_accounts.add_event_handler(on_delete=sa_deleted)

    async def sync(self, key: str) -> None:
        ns = self.namespaces.get(key)
        if ns is None or (ns.get("status") or {}).get("phase", "Active") != "Active" \
                or (ns.get("metadata") or {}).get("deletionTimestamp"):
            return
        failures: list[StatusError] = []
        for name in SERVICE_ACCOUNTS_TO_ENSURE:
            if self.service_accounts.get(f"{key}/{name}") is not None:
                continue
            body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": key}}
            try:
                await self.client.create(resource_path("", "v1", "serviceaccounts", key), body)
                log.info("serviceaccount: created %s", object_key(body))
            except StatusError as e:
                if is_already_exists(e) or is_not_found(e) or _terminating_refusal(e):
                    continue
                failures.append(e)
        if failures:
            raise failures[0]
