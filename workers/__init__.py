"""Everything that runs in RQ."""
