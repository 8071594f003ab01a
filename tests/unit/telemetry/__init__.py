"""Unit tests of server/dockhand/telemetry."""
