"""url() in templates looks each route up by name directly instead of walking the routing table (a third of a
player page's rendering time went on the walk): every named route gives the same path either way."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.routing import NoMatchFound

from app.main import create_app
from app.web.templating import _routes_by_name, url_path
from tests.conftest import make_settings


def test_every_named_route_has_the_same_path_as_the_full_lookup(tmp_path):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'unused.db'}"))
    request = SimpleNamespace(app=app)
    index = _routes_by_name(app)
    assert len(index) > 50
    for name, route in index.items():
        params = {key: 7 if convertor.regex.startswith("[0-9]") else "x-7" for key, convertor in route.param_convertors.items()}
        assert url_path(request, name, **params) == str(app.url_path_for(name, **params)), name
    # Mounts and unknown names still go through the routing table.
    assert url_path(request, "static-build", path="application.css") == "/static/build/application.css"
    try:
        url_path(request, "no-such-route")
    except NoMatchFound:
        pass
    else:
        raise AssertionError("an unknown name must not resolve")
    app.state.engine.dispose()
