"""`python -m pkm`: the same entry point as the `pkm` command."""

import sys

from pkm.cli import main

if __name__ == "__main__":
    sys.exit(main())
