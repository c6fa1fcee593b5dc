"""`python -m ingest.cli`: the `wirefeed` command."""

import sys

from ingest.cli.app import main

sys.exit(main())
