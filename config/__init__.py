"""Configuration: settings read once from the environment, and the Temporal connection."""
