"""HTTP response hardening: CSP with per-request nonces, framing, sniffing, caching, HSTS.

FAB 5's templates put ``nonce="{{ baselib.get_nonce() }}"`` on every script tag; that macro
calls a global ``csp_nonce()`` when one is defined (Flask-Talisman's convention). This module
defines it, so FAB's own inline scripts run under a policy without ``'unsafe-inline'`` for
scripts. Styles keep ``'unsafe-inline'``: FAB's templates use ``style`` attributes, which a
nonce cannot cover. Every source is ``'self'``: no CDN (intranets have no internet).
"""
import secrets

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .request_cache import request_cache

_NO_STORE = "no-store, no-cache, must-revalidate, max-age=0"


def csp_nonce() -> str:
    """This request's script nonce (random, 128 bits or more)."""
    memo = request_cache()
    if "csp_nonce" not in memo:
        memo["csp_nonce"] = secrets.token_urlsafe(18)
    return memo["csp_nonce"]


def content_security_policy(nonce: str) -> str:
    """The Content-Security-Policy value for a response whose scripts carry ``nonce``."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _is_static(response) -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def set_security_headers(response):
    """Add the security headers to every response; ``no-store`` on pages and API answers."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = current_app.config.get("REFERRER_POLICY", "same-origin")
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    if current_app.config.get("HTTPS"):
        headers["Strict-Transport-Security"] = f"max-age={int(current_app.config.get('HSTS_MAX_AGE', 31536000))}; includeSubDomains"
    if not _is_static(response) and (
        request.path.startswith("/api/") or response.mimetype in ("text/html", "application/json")
    ):
        headers["Cache-Control"] = _NO_STORE
        headers["Pragma"] = "no-cache"
        headers["Expires"] = "0"
    return response


def init_app(app: Flask) -> None:
    """Install the headers, the CSP nonce for templates, the error pages and (if configured) the proxy fix."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        # Behind N reverse proxies: take the client address and scheme from their headers,
        # so rate limits and lockouts count real clients, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(set_security_headers)
    from . import error_pages

    error_pages.init_app(app)
