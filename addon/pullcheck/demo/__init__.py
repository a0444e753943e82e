"""A local demo site with real request shapes, for the tests and `pullcheck demo`."""
