"""tap-hotmart: a Singer tap for the Hotmart API, built with the Meltano Singer SDK."""
