"""``python -m kybernetes.sim``: run simulated nodes until SIGTERM/SIGINT."""

import sys

from kybernetes.sim.nodes import main

sys.exit(main(sys.argv[1:]))
