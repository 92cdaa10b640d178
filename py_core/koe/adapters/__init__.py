"""Native-only adapters (numpy, soundfile, ...): never imported by the core or in the browser."""
