"""Site adapters: one module per site, turning compose requests into drafts and read responses into memory."""
