"""Data access: what pages and API read, and how (FAB data interfaces, query plans, the
complaint reads of the work lists). Views and API call it and render; writes go through
``app.services``."""
