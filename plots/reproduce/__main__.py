"""python3 -m plots.reproduce (see plots/reproduce/__init__.py)."""

import sys

from .cli import main

sys.exit(main())
