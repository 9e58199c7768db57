"""The performance benchmark: ``run.py`` (the driver), ``locustfile.py`` (the load scenario) and
``plugin`` (what bench mode adds to the application; see bench/README.md)."""
