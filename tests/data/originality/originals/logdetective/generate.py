"""logdetective: root-cause analysis conversations over synthetic service logs."""

import sys

from logdet.cli import entry

sys.exit(entry())
