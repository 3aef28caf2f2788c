"""A project's files: loading, YAML, checks, the mapping compiler, transforms and validation."""
