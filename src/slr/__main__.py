"""``python -m slr``: the command line."""

import sys

from slr.cli import main

sys.exit(main())
