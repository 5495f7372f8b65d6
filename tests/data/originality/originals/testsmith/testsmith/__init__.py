"""Test-writing conversations with real pytest results."""

VERSION = "0.1.0"
