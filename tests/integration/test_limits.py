# SPDX-License-Identifier: Apache-2.0
"""Hostile and malformed requests: 400/413/415/422, never a 500, server stays up."""
import json as jsonlib

import harness
from harness import USERNAME, expect, expect_error, expect_not_5xx, raw_request

LOGIN = "/auth/login"


def healthy(srv):
    expect(srv.http("GET", "/health"), 200)


def test_oversize_body_is_413(t):
    srv = t.start_server("small", max_body_bytes=4096)
    body = '{"client_id":"web","username":"' + "u" * 8192 + '","password":"x"}'
    r = srv.http("POST", LOGIN, raw=body, content_type="application/json")
    expect_error(r, 413, name="PayloadTooLargeError")
    healthy(srv)


def test_oversize_body_by_content_length_is_413(t):
    srv = t.start_server("small", max_body_bytes=4096)
    req = (f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Content-Length: 10000000\r\nConnection: close\r\n\r\n{{").encode()
    status, text = raw_request(srv.port, req)
    assert status == 413, f"status {status}: {text[:500]!r}"
    assert_413_envelope(text)
    healthy(srv)


def assert_413_envelope(text):
    head, _, body = text.partition("\r\n\r\n")
    assert "application/json" in head.lower() and "connection: close" in head.lower(), head
    err = jsonlib.loads(body)["error"]
    assert err["statusCode"] == 413 and err["name"] == "PayloadTooLargeError", err


def test_every_declared_oversize_body_gets_the_envelope(t):
    """Far over the limit (where evhttp answered with its own HTML page), just
    over it, and on the second request of a kept-alive connection."""
    import socket
    srv = t.start_server("small", max_body_bytes=4096)
    for size in (4097, 4096 * 4 + 5000, 10 ** 12):
        req = (f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {size}\r\n\r\n{{").encode()
        status, text = raw_request(srv.port, req)
        assert status == 413, f"{size}: status {status}: {text[:500]!r}"
        assert_413_envelope(text)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=harness.scaled(10))
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    first = b""
    while b"}" not in first:  # the whole /health answer, a small JSON object
        c = s.recv(65536)
        assert c, first
        first += c
    assert first.startswith(b"HTTP/1.1 200"), first
    s.sendall((f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: 99999999\r\n\r\n{{").encode())
    chunks = []
    while True:
        c = s.recv(65536)
        if not c:
            break
        chunks.append(c)
    s.close()
    text = b"".join(chunks).decode("latin-1")
    assert text.startswith("HTTP/1.1 413"), text[:500]
    assert_413_envelope(text)
    healthy(srv)


def read_all(s):
    chunks = []
    while True:
        c = s.recv(65536)
        if not c:
            break
        chunks.append(c)
    s.close()
    return b"".join(chunks).decode("latin-1")


def test_oversize_chunked_body_gets_the_envelope(t):
    """A chunked body has no declared size: the chunk sizes count as they
    arrive, far over the limit (where evhttp answered with its own page) in
    one chunk or in many, and just over it."""
    import socket
    srv = t.start_server("small", max_body_bytes=4096)
    head = (f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n").encode()
    one_huge = b"100000\r\n" + b"a" * 100
    many = b"".join(b"fa0\r\n" + b"a" * 4000 + b"\r\n" for _ in range(8))
    just_over = b"800\r\n" + b"a" * 2048 + b"\r\n801\r\n" + b"a" * 2049 + b"\r\n0\r\n\r\n"
    for chunks in (one_huge, many, just_over):
        status, text = raw_request(srv.port, head + chunks)
        assert status == 413, f"status {status}: {text[:500]!r}"
        assert_413_envelope(text)
    healthy(srv)


def test_oversize_body_in_pieces_or_pipelined_gets_the_envelope(t):
    """A head that arrives in pieces (evhttp has taken its request line
    already), and an oversize request pipelined behind another in one send:
    the first is answered, then the 413, then close."""
    import socket
    srv = t.start_server("small", max_body_bytes=4096)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=harness.scaled(10))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for piece in (f"POST {LOGIN} HTTP/1.1\r\n".encode(), b"Host: x\r\n",
                  b"Content-Type: application/json\r\n", b"Content-Length: 99999999\r\n",
                  b"\r\n{"):
        s.sendall(piece)
    text = read_all(s)
    assert text.startswith("HTTP/1.1 413"), text[:500]
    assert_413_envelope(text)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=harness.scaled(10))
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
              + (f"POST {LOGIN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: 99999999\r\n\r\n{{").encode())
    text = read_all(s)
    assert text.startswith("HTTP/1.1 200"), text[:500]
    second = text[text.index("HTTP/1.1 413"):] if "HTTP/1.1 413" in text else text
    assert second.startswith("HTTP/1.1 413"), text[:800]
    assert_413_envelope(second)
    healthy(srv)


def test_malformed_json_is_400(t):
    for body in ('{"client_id": "web",', "{'a': 1}", '{"a" 1}', "nul", '{"a":1}}'):
        r = t.http("POST", LOGIN, raw=body, content_type="application/json")
        expect_error(r, 400, name="BadRequestError")


def test_unsupported_content_type_is_415(t):
    body = '{"client_id":"web","username":"u","password":"p"}'
    for ctype in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        r = t.http("POST", LOGIN, raw=body, content_type=ctype)
        expect_error(r, 415, name="UnsupportedMediaTypeError")


def test_json_with_charset_is_accepted(t):
    r = t.http("POST", LOGIN, raw='{"client_id":"web","client_secret":"test","username":"'
               + USERNAME + '","password":"' + harness.PASSWORD + '"}',
               content_type="application/json; charset=utf-8")
    expect(r, 200)


def test_non_object_json_is_422(t):
    for body in ("[]", "[1,2]", "42", '"text"', "true", "null"):
        r = t.http("POST", LOGIN, raw=body, content_type="application/json")
        expect_error(r, 422, name="UnprocessableEntityError")


def test_empty_json_body_is_4xx(t):
    r = t.http("POST", LOGIN, raw=b"", content_type="application/json")
    assert r.status in (400, 422), f"{r!r}"


def test_deeply_nested_json_is_refused(t):
    r = t.http("POST", LOGIN, raw="[" * 100000 + "]" * 100000, content_type="application/json")
    assert r.status in (400, 413, 422), f"{r!r}"
    healthy(t.server)


def test_bad_utf8_is_4xx(t):
    r = t.http("POST", LOGIN, raw=b'{"client_id":"web\xff\xfe","username":"a","password":"b"}',
               content_type="application/json")
    assert 400 <= r.status < 500, f"{r!r}"


def test_nul_in_string_is_4xx(t):
    r = t.http("POST", LOGIN, raw='{"client_id":"web","client_secret":"test","username":"'
               + USERNAME + '\\u0000x","password":"p"}', content_type="application/json")
    assert 400 <= r.status < 500, f"{r!r}"


def test_bad_form_encoding_is_4xx(t):
    r = t.http("POST", LOGIN, raw="client_id=%zz&username=%&password",
               content_type="application/x-www-form-urlencoded")
    assert 400 <= r.status < 500, f"{r!r}"


def test_very_long_header_is_refused_cleanly(t):
    req = (f"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: {'a' * 65536}\r\n"
           f"Connection: close\r\n\r\n").encode()
    status, text = raw_request(t.server.port, req)
    assert status == 431, f"status {status}: {text[:300]!r}"
    head, _, body = text.partition("\r\n\r\n")
    assert "application/json" in head.lower() and "connection: close" in head.lower(), head
    err = jsonlib.loads(body)["error"]
    assert err["statusCode"] == 431 and err["name"] == "RequestHeaderFieldsTooLargeError", err
    healthy(t.server)


def test_very_long_url_is_refused_cleanly(t):
    r = t.http("GET", "/auth/me?" + "a" * 60000)
    assert r.status in (400, 401, 404, 414, 431), f"{r!r}"
    healthy(t.server)


def test_many_headers_do_not_crash(t):
    hdrs = "".join(f"X-H{i}: {i}\r\n" for i in range(2000))
    status, text = raw_request(t.server.port, f"GET /health HTTP/1.1\r\nHost: x\r\n{hdrs}"
                                              f"Connection: close\r\n\r\n".encode())
    assert status is None or status < 500, f"status {status}: {text[:300]!r}"
    healthy(t.server)


def test_garbage_request_line_does_not_crash(t):
    for data in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"BREW /pot HTTP/1.1\r\n\r\n"):
        status, text = raw_request(t.server.port, data)
        assert status is None or status < 500, f"{data!r}: status {status}: {text[:200]!r}"
    healthy(t.server)


def test_wrong_method_is_not_5xx(t):
    for method, path in (("GET", LOGIN), ("DELETE", "/auth/me"), ("PUT", "/logout")):
        r = expect_not_5xx(t.http(method, path))
        assert 400 <= r.status < 500, f"{r!r}"


# ---------------------------------------------------------------- connection limits

def _keepalive_get(conn, path="/health"):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_max_connections_refuses_the_next_one(t):
    import http.client
    srv = t.start_server("fewconns", loops=1, max_connections=3)
    held = [http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10) for _ in range(3)]
    for c in held:
        assert _keepalive_get(c)[0] == 200
    extra = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    status, headers, body = _keepalive_get(extra)
    assert status == 503 and headers.get("connection", "").lower() == "close", (status, headers)
    assert b"Too many connections" in body, body
    extra.close()
    held.pop().close()

    def fresh_ok():
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        try:
            return _keepalive_get(c)[0] == 200
        finally:
            c.close()
    harness.wait_until(fresh_ok, harness.scaled(5), what="a slot after a close")
    for c in held:
        c.close()


def test_connection_rate_limits_one_connection(t):
    import http.client
    srv = t.start_server("ratelimited", connection_rate=5)
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    statuses = []
    for _ in range(20):
        status, headers, _ = _keepalive_get(c)
        statuses.append(status)
        if status == 429:
            assert headers.get("retry-after", "").isdigit(), headers
    c.close()
    assert 200 in statuses and 429 in statuses, statuses
    assert set(statuses) <= {200, 429}, statuses
    other = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    assert _keepalive_get(other)[0] == 200  # the limit is per connection
    other.close()


def test_slow_client_is_cut_off(t):
    import socket
    srv = t.start_server("slowloris", timeout=1)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Le")  # and then nothing
    s.settimeout(harness.scaled(8))
    closed = False
    try:
        data = s.recv(4096)
        closed = data == b"" or data.startswith(b"HTTP/1.1 4")
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    s.close()
    assert closed, "a client that stops mid-headers is disconnected after the timeout"
    healthy(srv)


if __name__ == "__main__":
    harness.main(globals())
