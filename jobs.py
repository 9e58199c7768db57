"""The scheduled jobs' entry point: ``flask --app jobs remind`` and ``flask --app jobs backup``
(docs/deploy.md's timers). The application without pages or API (``create_app(views=False)``):
it starts in about four fifths of the time of ``run.py``'s and offers only those two commands."""
from app import create_app

app = create_app(views=False)
