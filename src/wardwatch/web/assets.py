"""Where the dashboard's stylesheet comes from: the ``nhsuk-frontend`` npm package.

``npm ci`` (scripts/browser-deps.sh; ``make test`` runs it) installs it into ``node_modules`` at
the root of the checkout. The app serves its compiled stylesheet at ``/static/nhsuk-frontend.min.css``
and its images at ``/assets`` (the paths the stylesheet itself uses), and our own few rules from
``wardwatch/web/static``. Nothing comes from a CDN. When the package is missing (wardwatch
installed from a wheel, no npm build) the pages still work, unstyled, and ``wardwatch serve`` says
so in one line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: the package's compiled files, relative to a node_modules folder
DIST = Path("nhsuk-frontend") / "dist" / "nhsuk"
STYLESHEET = "nhsuk-frontend.min.css"
#: our own rules on top (served from the package folder wardwatch/web/static)
OWN_STATIC = Path(__file__).parent / "static"


def frontend_dir() -> Path | None:
    """The ``dist/nhsuk`` folder of nhsuk-frontend: $WARDWATCH_NODE_MODULES, the checkout's
    node_modules, or ./node_modules; None when none holds the compiled stylesheet."""
    candidates = []
    if os.environ.get("WARDWATCH_NODE_MODULES"):
        candidates.append(Path(os.environ["WARDWATCH_NODE_MODULES"]))
    candidates += [Path(__file__).resolve().parents[3] / "node_modules", Path.cwd() / "node_modules"]
    for folder in candidates:
        dist = folder / DIST
        if (dist / STYLESHEET).is_file() and (dist / "assets").is_dir():
            return dist
    return None


MISSING = ("styling: nhsuk-frontend is not installed (run `npm ci` in the wardwatch checkout, or "
           "set WARDWATCH_NODE_MODULES); the pages are served unstyled")


#: a font face loaded from another site (the stylesheet names the Frutiger web font on
#: assets.nhs.uk, which the package does not ship)
_REMOTE_FONT = re.compile(r"@font-face\s*\{[^}]*url\(\s*['\"]?https?://[^}]*\}")


def stylesheet_text(dist: Path) -> str:
    """The package's compiled stylesheet without its remote font faces: the Content-Security-Policy
    would refuse them anyway (a console error on every page), and nothing is fetched from
    another site; the stylesheet's own fallback fonts (Arial, Helvetica) are used."""
    return _REMOTE_FONT.sub("", (dist / STYLESHEET).read_text(encoding="utf-8"))
