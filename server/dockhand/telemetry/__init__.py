"""Telemetry: OTLP receiver, SQLite store, trace providers, latency tables, log correlation, call graph."""
