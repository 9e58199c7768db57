"""``flask --app run seed-bench --complaints N``: bulk benchmark data (bench mode only), see ``seed.py``."""
from datetime import datetime

import click
from flask.cli import with_appcontext


def _progress(info: dict) -> None:
    click.echo(
        f"  {info['done']:>10,} / {info['total']:,} complaints, {info['events']:,} events, "
        f"{info['rulings']:,} rulings — batch {info['batch_rate']:,.0f}/s, overall {info['rate']:,.0f}/s, "
        f"{info['seconds']:.1f} s"
    )


@click.command("seed-bench")
@click.option("--complaints", "count", type=click.IntRange(min=1), required=True,
              help="How many complaints to add (added to what the database already holds).")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True,
              help="Random seed: the same seed, database state and --now give the same data.")
@click.option("--batch-size", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Complaints per transaction (with their events and rulings).")
@click.option("--now", "now_text", metavar="YYYY-MM-DDTHH:MM:SS", default=None,
              help="Pretend it is this local time (default: the clock); nothing happens after it.")
@click.option("--no-calendar-import", is_flag=True,
              help="Do not fill an empty work calendar from the chinesecalendar package first.")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as one JSON line as well.")
@with_appcontext
def seed_bench_command(count, seed_value, batch_size, now_text, no_calendar_import, as_json):
    """Add N realistic BENCH complaints fast (timelines, rulings, numbers) for load tests.

    Adds a bench organisation (codes BENCH-…) when the database has fewer than 30 branches with
    staff. Not for production databases: bench cases are marked with external reference BENCH-….
    """
    from . import seed as bench_seed

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DDTHH:MM:SS", param_hint="--now")
    click.echo(f"Generating {count:,} bench complaints (seed {seed_value}, batches of {batch_size:,})…")
    report = bench_seed.seed(count, seed=seed_value, batch_size=batch_size, now=now, progress=_progress,
                             import_calendar=not no_calendar_import, log=click.echo)
    for line in bench_seed.summary_lines(report):
        click.echo(line)
    if as_json:
        click.echo(bench_seed.as_json(report))


def init_app(app) -> None:
    """Register ``seed-bench`` on ``app``'s command line (the plugin does it in bench mode only)."""
    app.cli.add_command(seed_bench_command)
