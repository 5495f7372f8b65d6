"""The evaluation steps. Each Lambda handler is a thin adapter over one of these."""
