"""E-mail through Flask-Mailman (issue 23): off unless ``MAIL_SERVER`` is set.

Messages are sent after the change they tell of has been committed, never inside its
transaction, and a failure is logged and swallowed: a mail server that is down or refuses a
message never undoes or breaks the work a user just did. The log line names the job and the
error's class only — no address, no case, nothing of the complainant (§16).

The connection is built from the configuration as it is when sending (``MAIL_SERVER``,
``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
``MAIL_TIMEOUT``; sender ``MAIL_FROM``), so the README's "Configuration" is the whole story.
"""
import logging
from typing import Iterable, List, Tuple

from flask import current_app
from flask_mailman import EmailMessage

from ..extensions import mail

MAIL_LOGGER = "complaints.mail"


def enabled() -> bool:
    """Whether e-mail is configured (``MAIL_SERVER`` set)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def _connection():
    config = current_app.config
    return mail.get_connection(
        backend="smtp",
        host=config["MAIL_SERVER"],
        port=int(config.get("MAIL_PORT") or 25),
        username=config.get("MAIL_USERNAME") or "",
        password=config.get("MAIL_PASSWORD") or "",
        use_tls=bool(config.get("MAIL_USE_TLS")),
        use_ssl=bool(config.get("MAIL_USE_SSL")),
        timeout=config.get("MAIL_TIMEOUT") or 10,
    )


def send(messages: Iterable[Tuple[str, str, str]], job: str) -> List[int]:
    """Send ``(address, subject, body)`` messages over one connection; the positions of those the
    server accepted. Never raises: a failure (connection refused, timeout, the server refusing a
    message) is logged under ``job`` and the rest are still tried."""
    messages = list(messages)
    if not messages or not enabled():
        return []
    sender = current_app.config.get("MAIL_FROM") or "complaints@localhost"
    accepted = []
    try:
        with _connection() as connection:
            for position, (address, subject, body) in enumerate(messages):
                try:
                    if EmailMessage(subject, body, sender, [address], connection=connection).send():
                        accepted.append(position)
                except Exception as error:  # one refused message must not stop the others
                    _log_failure(job, error, 1)
    except Exception as error:  # the server unreachable, or the login refused
        _log_failure(job, error, len(messages) - len(accepted))
    return accepted


def _log_failure(job: str, error: Exception, count: int) -> None:
    logging.getLogger(MAIL_LOGGER).warning("mail not sent: job=%s error=%s messages=%d", job,
                                           type(error).__name__, count)
