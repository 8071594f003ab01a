"""The static compose model: text in, nodes with positions, project model and diagnostics out (no I/O but file reads)."""
