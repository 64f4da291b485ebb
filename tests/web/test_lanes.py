"""The step -> lane mapping, tested as a table."""

import pytest

from backend.lanes import LANE_IDS, lane_of


@pytest.mark.parametrize(("actor", "qualname", "lane"), [
    ("c1", None, "client"),
    ("kernel", None, "kernel"),
    ("main", "socketserver.BaseServer.serve_forever", "loop"),
    ("main", "socketserver.BaseServer._handle_request_noblock", "loop"),
    ("main", "socketserver.TCPServer.server_activate", "loop"),
    ("main", "socketserver.ThreadingMixIn.process_request", "loop"),
    ("main", "werkzeug.serving.BaseWSGIServer.serve_forever", "loop"),
    ("main", "werkzeug.serving.run_simple", "loop"),
    ("main", "werkzeug.serving.make_server", "loop"),
    ("main", "wsgiref.simple_server.make_server", "loop"),
    ("thread-1", "socketserver.BaseRequestHandler.__init__", "handler"),
    ("thread-1", "socketserver.StreamRequestHandler.setup", "handler"),
    ("thread-1", "http.server.BaseHTTPRequestHandler.handle_one_request", "handler"),
    ("thread-1", "http.server.BaseHTTPRequestHandler.parse_request", "handler"),
    ("thread-1", "werkzeug.serving.WSGIRequestHandler.handle", "handler"),
    ("main", "wsgiref.simple_server.WSGIRequestHandler.handle", "handler"),
    ("thread-1", "werkzeug.serving.WSGIRequestHandler.run_wsgi", "wsgi"),
    ("thread-1", "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute", "wsgi"),
    ("thread-1", "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.write", "wsgi"),
    ("thread-1", "werkzeug.serving.WSGIRequestHandler.make_environ", "wsgi"),
    ("main", "wsgiref.handlers.BaseHandler.finish_response", "wsgi"),
    ("main", "wsgiref.handlers.BaseHandler.start_response", "wsgi"),
    ("thread-1", "flask.app.Flask.wsgi_app", "flask"),
    ("thread-1", "flask.ctx.RequestContext.push", "flask"),
    ("main", "flask.app.Flask.run", "flask"),
    ("main", "werkzeug.routing.map.MapAdapter.match", "flask"),
    ("main", "werkzeug.wrappers.response.Response.__call__", "flask"),
    ("main", "http.client.parse_headers", "handler"),
    ("main", "wsgiref.simple_server.ServerHandler.close", "wsgi"),
    ("main", "wsgiref.simple_server.WSGIServer.get_app", "loop"),
    ("thread-1", "app.index", "view"),
    ("thread-1", "app.stream.<locals>.generate", "view"),
])
def test_lane_of(actor, qualname, lane):
    assert lane_of(actor, qualname) == lane


def test_server_step_without_function_stays_in_its_lane():
    assert lane_of("main", None, "handler") == "handler"
    assert lane_of("thread-2", None, "wsgi") == "wsgi"
    assert lane_of("main", None) == "handler"
    assert lane_of("c1", None, "handler") == "client"
    assert lane_of("kernel", None, "loop") == "kernel"


def test_lanes_are_the_seven_of_the_page():
    assert LANE_IDS == ("client", "kernel", "loop", "handler", "wsgi", "flask", "view")
