"""The live world: Docker Engine, Compose CLI, health pollers, state store. All I/O lives here."""
