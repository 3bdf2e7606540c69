"""Adapters to the outside: database URLs, the file store for evidence and documents,
and the event stores with their hash chain."""
