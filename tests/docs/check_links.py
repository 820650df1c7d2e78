#!/usr/bin/env python3
"""Checks every internal link and anchor of the built site (site/ by default).

Each `href` and `src` of every HTML page that is not an external URL must name a file of the site
(a directory means its index.html), and a `#fragment` must be an `id` (or `name`) in the page it
points to. mkdocs --strict checks the Markdown's links; this checks the HTML as served, the
generated API references (TypeDoc, Dokka, DocC) and the theme included. The standard library's
HTML parser is enough for reading attributes, so no dependency is added for it.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL = ("http", "https", "mailto", "data", "javascript", "tel", "blob")


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "link" and a.get("rel") in ("preconnect", "dns-prefetch"):
            return
        for key in ("href", "src"):
            if a.get(key) and tag not in ("svg", "use"):
                self.links.append(a[key])


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def target_file(site: Path, page: Path, url: str) -> tuple[Path | None, str]:
    parts = urlsplit(url)
    if parts.scheme in EXTERNAL or parts.netloc or url.startswith("//"):
        return None, ""
    if parts.scheme:
        raise ValueError(f"unknown scheme in {url}")
    path = unquote(parts.path)
    target = page if not path else ((site / path.lstrip("/")) if path.startswith("/") else page.parent / path)
    target = target.resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("site", nargs="?", type=Path, default=Path("site"))
    site = ap.parse_args().site.resolve()
    pages = sorted(site.rglob("*.html"))
    if not pages:
        print(f"{site}: no HTML pages", file=sys.stderr)
        return 1
    parsed = {p: parse(p) for p in pages}
    broken: dict[str, list[str]] = defaultdict(list)
    checked = anchors = 0
    for page, html in parsed.items():
        for url in html.links:
            target, fragment = target_file(site, page, url)
            if target is None:
                continue
            checked += 1
            where = str(page.relative_to(site))
            if site not in target.parents and target != site:
                broken[where].append(f"{url} (outside the site)")
            elif not target.is_file():
                broken[where].append(f"{url} (no such file)")
            elif fragment and target.suffix == ".html":
                anchors += 1
                if target not in parsed:
                    parsed[target] = parse(target)
                # As a browser does: the fragment as written, then percent-decoded.
                if fragment not in parsed[target].ids and unquote(fragment) not in parsed[target].ids:
                    broken[where].append(f"{url} (no anchor #{unquote(fragment)})")
    for where, urls in sorted(broken.items()):
        print(f"{where}:", file=sys.stderr)
        for url in urls:
            print(f"    {url}", file=sys.stderr)
    count = sum(len(u) for u in broken.values())
    print(f"links: {len(pages)} pages, {checked} internal links ({anchors} with an anchor)"
          + (f"; {count} broken" if count else ", none broken"))
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
