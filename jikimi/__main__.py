"""`python -m jikimi` is the `jikimi` command."""

from __future__ import annotations

import sys

from jikimi.cli import main

sys.exit(main())
