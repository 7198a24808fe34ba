"""Celery tasks, their stable names and their retry timing: the only place work is handed to workers."""
