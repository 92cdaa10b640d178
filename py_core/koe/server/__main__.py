"""``python -m koe.server``: the same as ``koe serve``."""

import sys

from .serve import serve_main

sys.exit(serve_main())
