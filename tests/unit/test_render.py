"""``render.ApiResponse`` writes the header lines Sanic's own response writes."""

from __future__ import annotations

import pytest
from sanic.response import HTTPResponse

from service.http.render import API_HEADERS, ApiResponse, json_response


@pytest.mark.parametrize(
    "headers",
    [
        {},
        dict(API_HEADERS),
        {**API_HEADERS, "X-Request-ID": "req-1", "ETag": '"abc"'},
        {"X-Odd": "a\r\nInjected: 1", "X-Nul": "a\x00b", "X-Number": 5},
        {"Cache-Control": "max-age=5", "X-Content-Type-Options": "nosniff"},
    ],
)
@pytest.mark.parametrize("status", [200, 204, 304, 409])
def test_the_header_lines_are_sanitized_and_encoded_as_sanic_does(
    headers: dict[str, object], status: int
) -> None:
    ours = ApiResponse(b"{}", status=status, headers=headers, content_type="application/json")
    sanic = HTTPResponse(b"{}", status=status, headers=headers, content_type="application/json")
    assert list(ours.processed_headers) == list(sanic.processed_headers)


def test_json_response_is_an_api_response_with_the_api_headers() -> None:
    response = json_response({"a": 1}, headers={"X-Request-ID": "r"})
    assert isinstance(response, ApiResponse)
    lines = dict(response.processed_headers)
    assert lines[b"X-Content-Type-Options"] == b"nosniff"
    assert lines[b"Cache-Control"] == b"no-store"
    assert lines[b"content-type"] == b"application/json"
