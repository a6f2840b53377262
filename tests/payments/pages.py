"""Reading pages as a person does: the links (with their text) and the forms (their hidden
fields, and the boxes a form requires ticked), so tests follow what a page offers instead of
building URLs and form bodies by hand."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """The links and forms of a page, as a browser would see them."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self.links: list[tuple[str, str]] = []
        self.forms: list[dict] = []
        self.data: dict[str, str] = {}
        self.codes: list[str] = []
        """Text shown to copy: <code> elements and read-only copy fields."""
        self._link: list | None = None
        self._code: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self._link = [attrs["href"], ""]
        elif tag == "code":
            self._code = []
        elif tag == "input" and "copy-field" in (attrs.get("class") or "").split():
            self.codes.append(attrs.get("value", ""))
        elif tag == "form":
            self.forms.append({**attrs, "fields": {}, "required_boxes": []})
            self.data.update({k: v for k, v in attrs.items() if k.startswith("data-")})
        elif tag == "input" and self.forms and attrs.get("name"):
            fields = self.forms[-1]["fields"]
            if attrs.get("type") == "checkbox":
                if "required" in attrs:  # a person ticks what the form requires
                    self.forms[-1]["required_boxes"].append(attrs["name"])
                    fields[attrs["name"]] = attrs.get("value", "y")
            else:
                fields[attrs["name"]] = attrs.get("value", "")

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._code is not None:
            self._code.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            self._link = None
        elif tag == "code" and self._code is not None:
            self.codes.append("".join(self._code).strip())
            self._code = None

    def link(self, text: str) -> str:
        return next(href for href, label in self.links if label == text)

    def form(self, action_part: str) -> dict:
        """The POST form whose action contains `action_part`."""
        return next(
            f
            for f in self.forms
            if (f.get("method") or "").lower() == "post" and action_part in (f.get("action") or "")
        )
