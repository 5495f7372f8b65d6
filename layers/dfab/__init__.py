"""dfab: the data-fabrication evaluator's core library.

The CLI, the Lambda handlers and the sandbox image all import this one package.
"""

__version__ = "0.1.0"
#: Version of the scoring rules; a change that can move any score bumps it.
SCORER_VERSION = "1.0.0"
CHALLENGE = "data-fabrication"
