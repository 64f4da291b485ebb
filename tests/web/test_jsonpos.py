from backend.jsonpos import line_of

TEXT = """{
  "format": "wsgiscope/scenario@1",
  "clients": [
    {"id": "c1"},
    {"id": "c2", "send": ["x",
       {"after": "soon"}]}
  ]
}"""


def test_points_at_the_field_line():
    assert line_of(TEXT, "format") == 2
    assert line_of(TEXT, "clients.1.send.1.after") == 6
    assert line_of(TEXT, "clients.0.id") == 4


def test_missing_child_points_at_parent():
    assert line_of(TEXT, "clients.1.at") == 5
    assert line_of(TEXT, "") == 1


def test_broken_json_gives_none_or_a_line():
    assert line_of("{", "a.b") is None or isinstance(line_of("{", "a.b"), int)
