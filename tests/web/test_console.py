"""The server console shows Werkzeug's colours as a terminal does, never the escapes."""

from __future__ import annotations

from backend.console import ansi_html


def test_sgr_runs_become_spans_and_text_is_escaped():
    line = '\x1b[31m\x1b[1mWARNING: <dev>\x1b[0m & "GET /" \x1b[33m404\x1b[0m \x07'
    assert str(ansi_html(line)) == ('<span class="sgr-31"><span class="sgr-1">WARNING: &lt;dev&gt;</span></span>'
                                    ' &amp; &#34;GET /&#34; <span class="sgr-33">404</span> \x07')


def test_an_unclosed_run_is_closed_and_unknown_codes_are_dropped():
    assert str(ansi_html("\x1b[4;36mx")) == '<span class="sgr-36">x</span>'


def test_the_player_console_has_no_escape_characters(client):
    page = client.get("/s/one-get?step=0").text
    console = page[page.index('class="console"'):]
    assert "\x1b" not in console
    assert '<span class="sgr-31"><span class="sgr-1">WARNING: This is a development server.' in console
