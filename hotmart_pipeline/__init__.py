"""The pipeline around the tap: the embedded warehouse, connecting accounts, quiet logs."""
