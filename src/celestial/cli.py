"""The one way every command-line entry point reports a user's mistake."""

import logging
import sys
from collections.abc import Callable

from celestial.errors import UserError


def run(main: Callable[[], None]) -> None:
    """Run a stage's main(): a UserError becomes one line on stderr and exit status 2."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
