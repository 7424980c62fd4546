"""Discord-facing features, one extension module per feature."""
