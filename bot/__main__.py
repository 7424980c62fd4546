"""`python -m bot` behaves exactly like the `anagen` console script."""

from bot.cli import main

raise SystemExit(main())
