"""``uv run --group bench python -m bench [--quick] [...]``: run the benchmark, print the table."""

import sys

from .runner import main

sys.exit(main())
