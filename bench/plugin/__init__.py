"""What bench mode adds to the application, as one plugin outside ``app/``.

The application imports this package only when its configuration says ``BENCH_MODE`` (the
module is named by ``BENCH_PLUGIN``, see ``app.load_bench_plugin``); a normal instance never
loads it, and then neither the stock view, nor the statement header, nor ``flask seed-bench``
exist.

- ``support``: FAB's stock list of complaints at ``/benchstock/`` and the ``X-SQL-Statements``
  response header;
- ``cli`` and ``seed``: ``flask --app run seed-bench --complaints N``, bulk bench data.
"""


def init_app(app, appbuilder) -> None:
    """Register the stock view, the statement counter and the ``seed-bench`` command on ``app``.

    Called inside ``create_app``'s application context, before ``appbuilder.post_init()``.
    """
    from . import cli, support

    support.init_app(app, appbuilder)
    cli.init_app(app)
