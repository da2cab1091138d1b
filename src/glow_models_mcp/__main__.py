"""``python -m glow_models_mcp``: same as the ``glow-models-mcp`` command."""

import sys

from .cli import main

sys.exit(main())
