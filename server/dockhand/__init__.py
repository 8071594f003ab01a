"""Dockhand: a language server that puts a running Docker Compose stack inside the editor."""

__version__ = "0.1.0"
