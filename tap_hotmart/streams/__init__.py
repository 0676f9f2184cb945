"""The tap's streams, one module per Hotmart API area."""
