"""The LSP layer: the server object, its wiring, and one module per LSP feature."""
