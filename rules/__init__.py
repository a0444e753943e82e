"""The built-in rule pack: YAML data only, shipped in the wheel as `pullcheck.rules`."""
