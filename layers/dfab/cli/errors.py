"""Errors the CLI turns into one line on stderr and exit code 2."""


class UsageError(Exception):
    """Bad usage or input: what, where, how to fix; printed as one line, exit code 2."""


EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
