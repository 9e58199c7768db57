"""WSGI entry point and `flask --app run …` target: the only module-level app."""
from app import create_app

app = create_app()
