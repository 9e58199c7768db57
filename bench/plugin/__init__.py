"""What bench mode adds to the application, as one plugin outside ``app/``.

The application imports this package only when its configuration says ``BENCH_MODE`` (the
module is named by ``BENCH_PLUGIN``, see ``app.load_bench_plugin``); a normal instance never
loads it, and then neither the stock view, nor the statement header, nor the render floor, nor
``flask seed-bench`` exist.

- ``support``: FAB's stock list of complaints at ``/benchstock/`` and the ``X-SQL-Statements``
  response header;
- ``floor``: the render floor, ``/benchfloor/list/`` (the list's first page in plain Flask and
  Jinja), and the list's count and page statements that bench/run.py times as the bare SQL;
- ``cli`` and ``seed``: ``flask --app run seed-bench --complaints N``, bulk bench data.
"""


def init_app(app, appbuilder) -> None:
    """Register the stock view, the statement counter, the render floor and the ``seed-bench``
    command on ``app``.

    Called inside ``create_app``'s application context, before ``appbuilder.post_init()``.
    """
    from . import cli, floor, support

    support.init_app(app, appbuilder)
    floor.init_app(app)
    cli.init_app(app)
