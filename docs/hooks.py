"""mkdocs hooks: README.md is the front page, and the generated API references join the site.

The front page is the repository's README.md itself (one text for GitHub and the site): its links
into docs/ become site-relative, and any other relative link is refused, since the site has only
docs/. The Node (TypeDoc), Kotlin (Dokka) and Swift (DocC) references are built by docs/api/*.sh
into target/docs/api/<language>/ and published under reference/api/<language>/; a missing one is
a warning, so `mkdocs build --strict` (make docs) fails without it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "target" / "docs" / "api"
# Material's offline search needs this shim; it would load it from a CDN, so the site serves it.
SHIM = ROOT / "tests" / "docs" / "node_modules" / "iframe-worker" / "shim" / "index.js"
SHIM_URI = "assets/javascripts/iframe-worker-shim.js"
LANGUAGES = ("node", "kotlin", "swift")
_LINK = re.compile(r"(\]\()([^)\s#]+)")
log = logging.getLogger("mkdocs.hooks.polypay")


def front_page(readme: str) -> str:
    def site_link(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^[a-z]+:", target):
            return match.group(0)
        if not target.startswith("docs/"):
            raise ValueError(f"README.md links to {target}: the site has only docs/ (link into docs/ or use a URL)")
        return match.group(1) + target.removeprefix("docs/")

    return _LINK.sub(site_link, readme)


def on_page_read_source(page, config):
    if page.file.src_uri == "index.md":
        return front_page((ROOT / "README.md").read_text(encoding="utf-8"))
    return None


def on_files(files: Files, config) -> Files:
    if SHIM.is_file():
        files.append(File.generated(config, SHIM_URI, abs_src_path=str(SHIM)))
    else:
        log.warning("no %s: run npm ci in tests/docs", SHIM)
    for language in LANGUAGES:
        source = API / language
        if not (source / "index.html").is_file():
            log.warning("no %s API reference in %s: run docs/api/%s.sh", language, source, language)
            continue
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            uri = f"reference/api/{language}/{path.relative_to(source).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
