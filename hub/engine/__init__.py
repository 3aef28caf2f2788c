"""Running syncs: the engine, the page pipeline, identity, references, filters and quarantine."""
