"""Placeholder entry point, replaced as commands land."""


def main() -> int:
    return 0
