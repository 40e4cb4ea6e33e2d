"""GraphiQL served by the app itself: no CDN, nothing from a third-party host.

`install()` (run by `./run` and `contactgraph up`) fetches pinned npm packages with
`npm pack`, checks each tarball against the sha512 integrity recorded here, and keeps
the few files the page needs in `.local/graphiql/<graphiql version>/`. The page is
served with a Content-Security-Policy that allows scripts, styles and requests only
from the app (images and fonts also from data: URIs, which GraphiQL's stylesheet
embeds). Its headers tab is pre-filled with the token hint and X-Purpose, and its
editor with a first query about Hannah.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from api.settings import LOCAL

__all__ = ["ASSETS", "CSP", "asset_response", "assets_dir", "install", "page"]


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    files: tuple[tuple[str, str], ...]  # (path in the tarball, name served)


ASSETS = (
    Asset(
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        (("package/umd/react.production.min.js", "react.production.min.js"),),
    ),
    Asset(
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        (("package/umd/react-dom.production.min.js", "react-dom.production.min.js"),),
    ),
    Asset(
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        (
            ("package/graphiql.min.js", "graphiql.min.js"),
            ("package/graphiql.min.css", "graphiql.min.css"),
        ),
    ),
)
_OURS = Path(__file__).resolve().parent / "static"
_OWN_FILES = {"contactgraph-graphiql.js": _OURS / "contactgraph-graphiql.js"}
_MEDIA = {".js": "text/javascript", ".css": "text/css"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)


def assets_dir() -> Path:
    graphiql = next(a for a in ASSETS if a.package == "graphiql")
    return LOCAL / "graphiql" / graphiql.version


def _served() -> dict[str, Path]:
    here = assets_dir()
    files = {name: here / name for asset in ASSETS for _, name in asset.files}
    return {**files, **_OWN_FILES}


def installed() -> bool:
    return all(path.is_file() for path in _served().values())


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def install(progress: object = print) -> None:
    """Fetch the pinned packages with npm, check their integrity, keep the needed files."""
    if installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("GraphiQL's assets are fetched with npm: install Node and npm")
    target = assets_dir()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for asset in ASSETS:
            if callable(progress):
                progress(f"fetching {asset.package}@{asset.version} from the npm registry")
            done = subprocess.run(
                [
                    npm,
                    "pack",
                    "--json",
                    "--pack-destination",
                    work,
                    f"{asset.package}@{asset.version}",
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
                cwd=work,
            )
            tarball = Path(work) / json.loads(done.stdout)[0]["filename"]
            if _integrity(tarball) != asset.integrity:
                raise SystemExit(f"{tarball.name}: integrity does not match the pinned sha512")
            with tarfile.open(tarball) as tar:
                for member, name in asset.files:
                    extracted = tar.extractfile(member)
                    if extracted is None:
                        raise SystemExit(f"{tarball.name} has no {member}")
                    (target / name).write_bytes(extracted.read())


def asset_response(request: Request) -> Response:
    name = request.path_params["name"]
    path = _served().get(name)
    if path is None or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(
        path,
        media_type=_MEDIA.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ContactGraph GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script src="/graphiql/assets/react.production.min.js"></script>
  <script src="/graphiql/assets/react-dom.production.min.js"></script>
  <script src="/graphiql/assets/graphiql.min.js"></script>
  <script src="/graphiql/assets/contactgraph-graphiql.js"></script>
</body>
</html>
"""

_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ContactGraph GraphiQL</title></head>
<body><p>GraphiQL's files are not installed on this server. Run <code>./run up</code>
(or <code>.local/venv/bin/python -m api.graphiql install</code>) and reload.</p></body></html>
"""


def page() -> Response:
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
    return HTMLResponse(_PAGE if installed() else _MISSING, headers=headers)


if __name__ == "__main__":
    install()
    print(f"GraphiQL assets in {assets_dir()}")
