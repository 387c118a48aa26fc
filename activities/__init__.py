"""Every side effect of the engine: delivering messages and writing the read model."""
