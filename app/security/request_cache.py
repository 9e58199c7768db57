"""A memo that lives exactly as long as one request.

It is kept in ``flask.g`` but bound to the request object: when an application context is
shared by several requests (the test client inside a pushed app context does that), each
request still starts with an empty memo. Outside a request every call gets a fresh dict, so
nothing is memoised in CLI commands or background jobs.
"""
from flask import g, has_request_context, request

_KEY = "_security_request_cache"


def request_cache() -> dict:
    """The current request's memo (a fresh, unshared dict outside requests)."""
    if not has_request_context():
        return {}
    owner = request._get_current_object()
    entry = g.get(_KEY)
    if entry is None or entry[0] is not owner:
        entry = (owner, {})
        setattr(g, _KEY, entry)
    return entry[1]
