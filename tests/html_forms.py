"""The forms of a rendered page as a browser would submit them (the fuzz tests and the walk of every
form with bad values read them)."""
from html.parser import HTMLParser


class Forms(HTMLParser):
    """The ``<form>``s of a page: action, method, enctype and fields (name, kind, value, options, whether
    the browser requires it)."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "enctype": attrs.get("enctype") or "", "fields": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            field = {"name": attrs["name"], "kind": attrs.get("type", tag), "value": attrs.get("value") or "",
                     "options": [], "required": "required" in attrs}
            if tag == "select":
                self._select = field
            if field["kind"] not in ("submit", "button", "image", "reset"):
                self._form["fields"].append(field)
        elif tag == "option" and self._select is not None and attrs.get("value"):
            self._select["options"].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
