"""The public HTTP API: one Powertools resolver, one router per resource.

`functions/api/app.py` (the one API Lambda) hands every API Gateway event to
`dfab.api.resolver.handle`. A new resource is a new module under `routes/` with an
`APIGatewayRouter`, added to `ROUTERS` in `resolver.py`; errors always have the shape
`{"code": STABLE_CODE, "message": human}` (`errors.py`).
"""
