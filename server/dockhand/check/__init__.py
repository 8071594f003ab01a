"""`dockhand check`: the editor's compose rules as a command-line linter for CI (text, JSON, SARIF, GitHub, JUnit)."""
