"""testsmith: conversations where an agent writes pytest suites and runs them for real."""

from testsmith.app import App

if __name__ == "__main__":
    raise SystemExit(App.from_environment().run())
