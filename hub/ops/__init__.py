"""Operating the hub: drift alerts on runs."""
