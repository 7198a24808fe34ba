"""Wiring: typed settings, team and owner configuration, the Celery app."""
