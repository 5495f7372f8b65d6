"""The embedded default: the deployed flow on one machine (moto + local sandbox)."""
