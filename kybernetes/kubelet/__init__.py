"""The node agent: registers the node, runs its pods through the container runtime and reports their status."""
