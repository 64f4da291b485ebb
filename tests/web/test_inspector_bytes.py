"""The inspector's byte counts for a socket: the engine's ``state_at`` and the rendered
panel, at steps where the client sends while the handler has read part of the request."""

from __future__ import annotations

import copy
import html
import re

import sim

BODY_LATER = ["POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nab",
              {"after": 100, "data": "cdef"}, {"after": 100, "data": "gh"}]


def scenario(one_get: dict, send: list, then: str = "shutdown_write") -> dict:
    s = copy.deepcopy(one_get)
    s["app"]["routes"].append({"rule": "/echo", "methods": ["POST"], "endpoint": "echo",
                               "view": {"echo": True}})
    s["clients"] = [{"id": "c1", "at": 0, "send": send, "then": then}]
    return s


def sockets(trace: sim.Trace, upto: int) -> list[tuple[sim.Step, dict]]:
    return [(trace.steps[i], trace.state_at(i)["sockets"]["c1"]) for i in range(upto)
            if "c1" in trace.state_at(i).get("sockets", {})]


def closed_at(trace: sim.Trace) -> int:
    return next(s.i for s in trace.steps if s.event and s.event.startswith("close_request"))


def test_every_byte_sent_is_in_the_kernel_the_rfile_buffer_or_read(one_get):
    trace = sim.run(scenario(one_get, BODY_LATER))
    chunks = [len(c if isinstance(c, str) else c["data"]) for c in BODY_LATER]
    sent = 0
    for step, sock in sockets(trace, closed_at(trace)):
        if step.event == "client_send":
            sent += chunks.pop(0)
        sizes = sock["sizes"]
        assert sock["bytes_consumed"] + sizes["rfile_buffer"] + sizes["recv_buffer"] == sent, (
            step.i, step.event, sock)
    assert not chunks  # every chunk was sent before the server closed


def test_a_send_while_the_view_reads_keeps_the_handlers_side(one_get):
    trace = sim.run(scenario(one_get, BODY_LATER))
    before = None
    sends = 0
    for step, sock in sockets(trace, closed_at(trace)):
        if step.event == "client_send" and before is not None and before["bytes_consumed"]:
            sends += 1
            # the handler read the head (51 bytes) before the client's later chunks came
            assert sock["bytes_consumed"] >= before["bytes_consumed"] >= 51
            assert sock["consumed"] == before["consumed"]  # its last read has not returned
        before = sock
    assert sends == 2


def test_the_rendered_inspector_shows_the_counts_of_state_at(client, one_get):
    s = scenario(one_get, BODY_LATER)
    trace = sim.run(s)
    slug = client.post("/api/v1/links", json=s).json()["slug"]
    send = next(st.i for st in trace.steps if st.event == "client_send" and st.i > 40)
    sock = trace.state_at(send)["sockets"]["c1"]
    page = html.unescape(client.get(f"/s/{slug}/step/{send}").text)
    panel = page[page.index('class="sock'):]
    shown = dict(re.findall(r"<dt>([^<]+) <span class=\"muted\">(\d+) B</span></dt>", panel))
    assert shown["kernel receive buffer"] == str(sock["sizes"]["recv_buffer"]) == "4"
    assert shown["last returned by readline()/read()"] == str(sock["sizes"]["consumed"]) == "30"
    assert re.search(rf"<dt>bytes_consumed</dt><dd>{sock['bytes_consumed']}</dd>", panel)
    assert sock["bytes_consumed"] > 51


def test_a_long_buffer_is_counted_whole_though_shortened(client, one_get):
    body = "x" * 5000
    s = scenario(one_get, [f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n",
                           {"after": 50, "data": body}], then="read")
    trace = sim.run(s)
    send = [st.i for st in trace.steps if st.event == "client_send"][1]  # the body
    sock = trace.state_at(send)["sockets"]["c1"]
    assert sock["sizes"]["recv_buffer"] == 5000
    assert len(sock["recv_buffer"]) < 5000  # the engine shortens what it shows
    slug = client.post("/api/v1/links", json=s).json()["slug"]
    page = html.unescape(client.get(f"/s/{slug}/step/{send}").text)
    panel = page[page.index('class="sock'):]
    assert re.search(r"<dt>kernel receive buffer <span class=\"muted\">5000 B</span></dt>", panel)
    assert "… 4400 more bytes" in panel
