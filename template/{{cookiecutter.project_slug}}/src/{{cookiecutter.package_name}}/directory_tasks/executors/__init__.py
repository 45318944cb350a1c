"""Where a directory task's per-file work runs: `processes`, a pool on this machine."""
