"""Pod networking through CNI plugins called directly, as the CNI 1.0 spec describes (no libcni).

A plugin is an executable found in ``CNI_PATH``; the runtime runs it with ``CNI_COMMAND`` (ADD, DEL, CHECK),
``CNI_CONTAINERID``, ``CNI_NETNS``, ``CNI_IFNAME``, ``CNI_ARGS`` and ``CNI_PATH`` in the environment and the
network configuration as JSON on stdin; it answers a result (or an error ``{"code", "msg"}``) on stdout.  A
network configuration list runs its plugins in order for ADD and CHECK (each gets the previous result as
``prevResult``) and in reverse for DEL (with the ADD result as ``prevResult``).  Plugins that declare
``capabilities`` get the matching ``runtimeConfig`` (here: ``portMappings``).

The default network (:class:`NetworkConfig`): bridge ``kyb0`` (``isGateway``, ``hairpinMode``, no masquerade)
with host-local IPAM over one IPv4 and one IPv6 node subnet (default 10.42.0.0/24 and fd42:6b79:6200::/64, a /64
of the ULA /56 fd42:6b79:6200::/56), default routes through the bridge, then ``portmap`` for hostPorts; the
loopback plugin brings ``lo`` up as its own network.  host-local keeps its allocations under the runtime's state
dir, so DEL (or :meth:`CNINetwork.teardown`) leaves nothing behind.

Safety (PLATFORM.md): an nftables table ``inet kyb-cri-<bridge>`` drops, on the uplink interfaces (those of the
default routes), every packet to the cluster CIDRs and, unless ``allow_egress``, every packet from the pod
subnets, so a pod packet or a missed DNAT never leaves the machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kybernetes.cri.api import PortMapping, RuntimeError_

__all__ = ["NetworkConfig", "CNINetwork", "CNIError", "result_ips", "DEFAULT_PLUGIN_DIRS", "CNI_VERSION"]

CNI_VERSION = "1.0.0"
DEFAULT_PLUGIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin", "/usr/libexec/cni")


class CNIError(RuntimeError_):
    """A plugin failed; ``code`` is the CNI error code (0 when the plugin did not say)."""

    def __init__(self, msg: str, code: int = 0) -> None:
        super().__init__(msg)
        self.code = code


@dataclass
class NetworkConfig:
    """The node's pod network.  ``subnets`` are the node's podCIDRs (one per family); ``cluster_cidrs`` are
    guarded from leaving through the uplink (pod and service CIDRs of the whole cluster).  ``conflist`` (a path
    to a ``.conflist`` file) replaces the generated list entirely."""

    bridge: str = "kyb0"
    network_name: str = "kybernetes"
    subnets: list[str] = field(default_factory=lambda: ["10.42.0.0/24", "fd42:6b79:6200::/64"])
    cluster_cidrs: list[str] = field(default_factory=lambda: ["10.42.0.0/16", "10.43.0.0/16",
                                                              "fd42:6b79:6200::/56"])
    plugin_dirs: list[str] = field(default_factory=lambda: list(DEFAULT_PLUGIN_DIRS))
    data_dir: str = ""  # host-local allocations; "" = <state_dir>/cni
    mtu: int = 0
    allow_egress: bool = False  # let pod-sourced packets out through the uplink (needs a masquerade elsewhere)
    conflist: str = ""

    def validate(self) -> None:
        """Raises ValueError for a bad bridge name or subnet (fd00::/64 is the uplink's: refused)."""
        if not self.bridge or len(self.bridge) > 15:
            raise ValueError(f"bridge name {self.bridge!r} must be 1-15 characters")
        for s in self.subnets + self.cluster_cidrs:
            net = ipaddress.ip_network(s, strict=False)
            if net.version == 6 and net.overlaps(ipaddress.ip_network("fd00::/64")):
                raise ValueError(f"{s} overlaps fd00::/64 (the uplink's network)")


def result_ips(result: dict[str, Any] | None) -> list[str]:
    """The pod's addresses (without prefix length) from a CNI result, IPv4 first, in result order otherwise."""
    if not result:
        return []
    ips = [str(ip.get("address", "")).split("/")[0] for ip in result.get("ips", []) if ip.get("address")]
    return sorted(ips, key=lambda a: 0 if ":" not in a else 1)


class CNINetwork:
    """Runs the network's plugins for sandboxes.  Methods are coroutines; ``setup_host`` is idempotent."""

    def __init__(self, config: NetworkConfig, state_dir: str | os.PathLike[str]) -> None:
        config.validate()
        self.config = config
        self.data_dir = Path(config.data_dir or Path(state_dir) / "cni")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.plugin_path = ":".join(d for d in config.plugin_dirs if os.path.isdir(d))
        self._conflist = self._load_conflist()

    # ----- configuration
    def _load_conflist(self) -> dict[str, Any]:
        if self.config.conflist:
            return orjson.loads(Path(self.config.conflist).read_bytes())
        c = self.config
        ranges = [[{"subnet": str(ipaddress.ip_network(s, strict=False))}] for s in c.subnets]
        routes = [{"dst": "0.0.0.0/0" if ipaddress.ip_network(s, strict=False).version == 4 else "::/0"}
                  for s in c.subnets]
        bridge: dict[str, Any] = {
            "type": "bridge", "bridge": c.bridge, "isGateway": True, "hairpinMode": True, "ipMasq": False,
            "ipam": {"type": "host-local", "ranges": ranges, "routes": routes, "dataDir": str(self.data_dir)},
        }
        if c.mtu:
            bridge["mtu"] = c.mtu
        return {"cniVersion": CNI_VERSION, "name": c.network_name, "plugins": [
            bridge,
            {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
        ]}

    def plugin_available(self) -> bool:
        """True when every plugin of the list (and loopback) is installed."""
        types = [p["type"] for p in self._conflist.get("plugins", [])] + ["loopback"]
        return all(self._find(t) for t in types)

    def _find(self, plugin: str) -> str | None:
        for d in self.plugin_path.split(":"):
            if d and os.access(os.path.join(d, plugin), os.X_OK):
                return os.path.join(d, plugin)
        return None

    # ----- plugin calls
    async def _exec(self, plugin_conf: dict[str, Any], command: str, container_id: str, netns: str, ifname: str,
                    cni_args: str) -> dict[str, Any] | None:
        exe = self._find(plugin_conf["type"])
        if exe is None:
            raise CNIError(f"failed to find plugin {plugin_conf['type']!r} in path [{self.plugin_path}]")
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns,
               "CNI_IFNAME": ifname, "CNI_ARGS": cni_args, "CNI_PATH": self.plugin_path,
               "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        proc = await asyncio.create_subprocess_exec(exe, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE, env=env)
        out, err = await asyncio.wait_for(proc.communicate(orjson.dumps(plugin_conf)), 60)
        if proc.returncode != 0:
            try:
                doc = orjson.loads(out)
                msg = doc.get("msg", "") + (f": {doc['details']}" if doc.get("details") else "")
                code = int(doc.get("code", 0))
            except (orjson.JSONDecodeError, AttributeError, ValueError):
                msg, code = (out or err).decode(errors="replace").strip(), 0
            raise CNIError(f"plugin type={plugin_conf['type']!r} {command}: {msg}", code)
        if command != "ADD" or not out.strip():
            return None
        return orjson.loads(out)

    def _plugin_conf(self, plugin: dict[str, Any], prev: dict[str, Any] | None,
                     runtime_config: dict[str, Any]) -> dict[str, Any]:
        conf = {**plugin, "cniVersion": self._conflist.get("cniVersion", CNI_VERSION),
                "name": self._conflist.get("name", self.config.network_name)}
        caps = plugin.get("capabilities") or {}
        rc = {k: v for k, v in runtime_config.items() if caps.get(k)}
        if rc:
            conf["runtimeConfig"] = rc
        if prev is not None:
            conf["prevResult"] = prev
        return conf

    def _plugins(self, runtime_config: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for p in self._conflist.get("plugins", []):
            # portmap without mappings has nothing to do (and its DEL costs ~150 ms of iptables calls)
            if p.get("type") == "portmap" and not runtime_config.get("portMappings"):
                continue
            out.append(p)
        return out

    @staticmethod
    def _runtime_config(port_mappings: list[PortMapping]) -> dict[str, Any]:
        pm = [{"hostPort": m.host_port, "containerPort": m.container_port, "protocol": m.protocol.lower(),
               **({"hostIP": m.host_ip} if m.host_ip else {})} for m in port_mappings if m.host_port]
        return {"portMappings": pm} if pm else {}

    @staticmethod
    def cni_args(namespace: str, name: str, uid: str, sandbox_id: str) -> str:
        return (f"IgnoreUnknown=1;K8S_POD_NAMESPACE={namespace};K8S_POD_NAME={name};"
                f"K8S_POD_INFRA_CONTAINER_ID={sandbox_id};K8S_POD_UID={uid}")

    async def add(self, sandbox_id: str, netns: str, cni_args: str,
                  port_mappings: list[PortMapping] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        """ADD: loopback, then the list in order.  Returns the final result.  On failure, what was added is
        deleted again and CNIError is raised."""
        await self._exec({"cniVersion": CNI_VERSION, "name": "cni-loopback", "type": "loopback"}, "ADD",
                         sandbox_id, netns, "lo", cni_args)
        rc = self._runtime_config(list(port_mappings))
        prev: dict[str, Any] | None = None
        try:
            for plugin in self._plugins(rc):
                result = await self._exec(self._plugin_conf(plugin, prev, rc), "ADD", sandbox_id, netns, "eth0",
                                          cni_args)
                prev = result if result is not None else prev
        except BaseException:
            try:
                await self.delete(sandbox_id, netns, cni_args, list(port_mappings), prev)
            except CNIError:
                pass
            raise
        return prev or {}

    async def check(self, sandbox_id: str, netns: str, cni_args: str, port_mappings: list[PortMapping],
                    result: dict[str, Any] | None) -> None:
        """CHECK the list against the ADD result; raises CNIError when the network is not as it should be."""
        rc = self._runtime_config(port_mappings)
        for plugin in self._plugins(rc):
            await self._exec(self._plugin_conf(plugin, result, rc), "CHECK", sandbox_id, netns, "eth0", cni_args)

    async def delete(self, sandbox_id: str, netns: str, cni_args: str, port_mappings: list[PortMapping],
                     result: dict[str, Any] | None) -> None:
        """DEL the list in reverse order (then loopback).  Every plugin is called even if one fails; the first
        failure is raised afterwards.  A missing netns is fine (plugins release IPs anyway)."""
        rc = self._runtime_config(port_mappings)
        first: CNIError | None = None
        for plugin in reversed(self._plugins(rc)):
            try:
                await self._exec(self._plugin_conf(plugin, result, rc), "DEL", sandbox_id, netns, "eth0", cni_args)
            except CNIError as e:
                first = first or e
        if netns and os.path.exists(netns):
            try:
                await self._exec({"cniVersion": CNI_VERSION, "name": "cni-loopback", "type": "loopback"}, "DEL",
                                 sandbox_id, netns, "lo", cni_args)
            except CNIError:
                pass
        if first is not None:
            raise first

    # ----- host side: guard against leaks, teardown
    def _uplinks(self) -> list[str]:
        devs: list[str] = []
        for fam in ("-4", "-6"):
            try:
                out = subprocess.run(["ip", "-j", fam, "route", "show", "default"], capture_output=True,
                                     timeout=10).stdout
                for route in orjson.loads(out or b"[]"):
                    dev = route.get("dev")
                    if dev and dev != self.config.bridge and dev not in devs:
                        devs.append(dev)
            except (OSError, subprocess.SubprocessError, orjson.JSONDecodeError):
                continue
        return devs

    @property
    def guard_table(self) -> str:
        return f"kyb-cri-{self.config.bridge}"

    def guard_ruleset(self) -> str:
        """The nft script of the guard table (replaces the table atomically)."""
        c = self.config
        uplinks = self._uplinks()
        t = self.guard_table
        lines = [f"table inet {t} {{}}", f"delete table inet {t}", f"table inet {t} {{",
                 "  chain postrouting {", "    type filter hook postrouting priority 0; policy accept;"]
        if uplinks:
            ifs = "{ " + ", ".join(f'"{d}"' for d in uplinks) + " }"
            v4 = [s for s in c.cluster_cidrs + c.subnets if ipaddress.ip_network(s, strict=False).version == 4]
            v6 = [s for s in c.cluster_cidrs + c.subnets if ipaddress.ip_network(s, strict=False).version == 6]
            if v4:
                lines.append(f"    oifname {ifs} ip daddr {{ {', '.join(_nets(v4))} }} drop")
            if v6:
                lines.append(f"    oifname {ifs} ip6 daddr {{ {', '.join(_nets(v6))} }} drop")
            if not c.allow_egress:
                s4 = [s for s in c.subnets if ipaddress.ip_network(s, strict=False).version == 4]
                s6 = [s for s in c.subnets if ipaddress.ip_network(s, strict=False).version == 6]
                if s4:
                    lines.append(f"    oifname {ifs} ip saddr {{ {', '.join(_nets(s4))} }} drop")
                if s6:
                    lines.append(f"    oifname {ifs} ip6 saddr {{ {', '.join(_nets(s6))} }} drop")
        lines += ["  }", "}"]
        return "\n".join(lines) + "\n"

    async def setup_host(self) -> None:
        """Install the guard table (idempotent).  Raises CNIError when nft is missing or refuses it."""
        if not shutil.which("nft"):
            raise CNIError("nft not found: install nftables (needed to keep pod traffic on this machine)")
        proc = await asyncio.create_subprocess_exec("nft", "-f", "-", stdin=subprocess.PIPE,
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = await proc.communicate(self.guard_ruleset().encode())
        if proc.returncode != 0:
            raise CNIError(f"nft guard table: {err.decode(errors='replace').strip()}")

    async def teardown(self) -> None:
        """Remove what the network left on the host: the guard table, the bridge and host-local's files for
        this network.  Call only when no sandbox of this network is left."""
        for argv in (["nft", "delete", "table", "inet", self.guard_table],
                     ["ip", "link", "delete", self.config.bridge]):
            proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await proc.wait()
        shutil.rmtree(self.data_dir / self._conflist.get("name", self.config.network_name), ignore_errors=True)


def _nets(cidrs: list[str]) -> list[str]:
    return [str(ipaddress.ip_network(s, strict=False)) for s in cidrs]
