"""The small HTML pages a person sees when they open an unsubscribe link."""

from __future__ import annotations

from html import escape

from litestar import Response

__all__ = ["confirmation", "done", "masked", "problem"]

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto;
       padding: 0 1rem; color: #222; line-height: 1.5; }}
button {{ font-size: 1rem; padding: .6rem 1.2rem; cursor: pointer; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""

# Never cached or framed: the page is per person and its button changes something.
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}


def _page(status: int, title: str, body: str) -> Response[str]:
    html = _PAGE.format(title=escape(title), body=body)
    return Response(
        html, status_code=status, media_type="text/html; charset=utf-8", headers=_HEADERS
    )


def masked(address: str) -> str:
    """``jo…@example.com``: enough for the person to recognise, little for anyone else."""
    local, _, domain = address.rpartition("@")
    return f"{local[:2]}…@{domain}"


def confirmation(address: str, token: str) -> Response[str]:
    """GET: what the link would do, and the button that does it (RFC 8058 POST body)."""
    body = (
        f"<p>Stop e-mail of this kind to <strong>{escape(masked(address))}</strong>?</p>\n"
        '<form method="post" action="?t=' + escape(token, quote=True) + '">\n'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">\n'
        '<button type="submit">Unsubscribe</button>\n</form>'
    )
    return _page(200, "Unsubscribe", body)


def done(address: str) -> Response[str]:
    body = (
        f"<p><strong>{escape(masked(address))}</strong> will get no more e-mail of this "
        "kind. You can close this page.</p>"
    )
    return _page(200, "You are unsubscribed", body)


def problem(status: int, title: str, explanation: str) -> Response[str]:
    return _page(status, title, f"<p>{escape(explanation)}</p>")
