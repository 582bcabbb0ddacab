"""``python -m instances.build``: rebuild the England instances (see the package docstring)."""

import sys

from . import main

sys.exit(main())
