"""Procedural generator of agentic coding conversations for the example harness.

Layout: `cli` reads the runtime contract, `dataset` picks scenario families and assembles
lines, `families/` holds the scenarios, `flows` turns a scenario into a tool-using agent
run, `execution` runs the generated pytest suites for real. Standard library only.
"""

HARNESS_NAME = "example-harness"
HARNESS_VERSION = "0.1.0"
