"""What route handlers work with, built once per Lambda container (or local server).

Routes read it from the resolver context (`router.context["services"]`), so tests can
hand the real resolver services wired to moto, a fake clock or tight limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from dfab.intake.admission import Intake
from dfab.intake.settings import intake_settings
from dfab.intake.tables import NONCES, table_name
from dfab.settings import Settings
from dfab.storage.resources import Resources


@dataclass
class ApiServices:
    settings: Settings
    resources: Resources
    intake: Intake

    @classmethod
    def build(cls, settings: Settings, resources: Resources) -> ApiServices:
        """Deployed or local: table names from the environment template.yaml sets."""
        intake = Intake(
            resources=resources,
            settings=settings,
            config=intake_settings(settings),
            nonces_table=table_name(NONCES),
        )
        return cls(settings=settings, resources=resources, intake=intake)
