"""Ingestion: every input file becomes a document, unchanged, skipped or quarantined."""
