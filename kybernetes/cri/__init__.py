"""The container runtime behind a CRI-shaped interface (see :mod:`kybernetes.cri.api`)."""
