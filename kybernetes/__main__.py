"""``python -m kybernetes`` is ``kyb``."""

import sys

from kybernetes.cli import main

sys.exit(main())
