"""Static review of harness code (Python `ast`), run on every accepted archive.

`review_harness(root, settings.review)` returns a `ReviewReport`; its `rejection()` is
the REVIEW_CRITICAL verdict when any finding is critical. Nothing here runs the code.
This package never imports `dfab.settings` (that module imports `ReviewSettings`).
"""

from dfab.review.catalog import RULES, Severity
from dfab.review.engine import review_harness
from dfab.review.models import Finding, ReviewReport
from dfab.review.settings import ReviewSettings

__all__ = ["RULES", "Finding", "ReviewReport", "ReviewSettings", "Severity", "review_harness"]
