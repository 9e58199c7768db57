"""Row ids as they arrive from URLs, forms and JSON."""

MAX_ID = 2**31 - 1  # integer primary keys (INTEGER on PostgreSQL)


def row_id(value):
    """``value`` as a row id, or ``None`` when it cannot name a row. PostgreSQL refuses an
    out-of-range integer in a query (an error) where SQLite simply finds nothing."""
    if isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_ID else None
