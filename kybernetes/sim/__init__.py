"""Simulated nodes (the project's answer to kwok): Node objects with no machine behind them.

`nodes` registers Nodes, renews their Leases, heartbeats their status and plays the kubelet's part for pods bound
to them (Pending -> Running -> Succeeded/Failed, graceful deletion) without running any container.  `main(argv)`
is the `kyb sim` command line.
"""

from kybernetes.sim.nodes import SimulatedNodes, main

__all__ = ["SimulatedNodes", "main"]
