"""One router per resource; `dfab.api.resolver.ROUTERS` lists them."""
