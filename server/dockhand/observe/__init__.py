"""The server observes itself: Prometheus metrics (metrics.py), its own spans (tracing.py), LSP timing (protocol.py)."""
