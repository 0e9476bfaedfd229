# SPDX-License-Identifier: Apache-2.0
"""Strict HTTP framing (issue 15): ambiguous Content-Length and
Transfer-Encoding are a 400 that closes the connection, an encoded slash is
not a separator, a half-closed client gets its answer, a body needs a
Content-Type, a form key given twice is refused. Malformed requests go over
raw sockets: urllib would not send them."""
import json as jsonlib
import re
import socket

import harness
from harness import CLIENT_SECRET, PASSWORD, USERNAME, expect, expect_error

LOGIN_BODY = jsonlib.dumps({"client_id": "web", "client_secret": CLIENT_SECRET,
                            "username": USERNAME, "password": PASSWORD}).encode()
# what a desynchronised peer would take for a second request
SMUGGLED = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


def until_closed(port, data, half_close=False, timeout=10, pieces=None):
    """Send data (or each of pieces with its own send), read until the
    server closes; the responses as [(status, head, body)], 1xx interim
    responses included."""
    with socket.create_connection(("127.0.0.1", port), timeout=harness.scaled(timeout)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for piece in pieces or [data]:
                s.sendall(piece)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError("the connection was left open: "
                                 f"{b''.join(chunks)[:600]!r}") from None
    return parse_responses(b"".join(chunks))


def parse_responses(raw):
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
        assert sep and m, f"not an HTTP response: {raw[:300]!r}"
        n = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        size = int(n.group(1)) if n else 0
        out.append((int(m.group(1)), head.decode("latin-1").lower(), rest[:size]))
        raw = rest[size:]
    return out


def check_envelope(response, status, name):
    """A JSON error envelope with this status, and Connection: close."""
    got, head, body = response
    assert got == status, response
    assert "connection: close" in head, head
    assert "application/json" in head, head
    err = jsonlib.loads(body)["error"]
    assert err["statusCode"] == status and err["name"] == name, err
    return err


def expect_400_and_close(port, data, pieces=None):
    """One 400 with the error envelope and Connection: close, and nothing
    after it (never evhttp's own HTML page). pieces: send data in these
    pieces, one send each (TCP_NODELAY), so the head arrives in pieces."""
    responses = until_closed(port, data, pieces=pieces)
    assert len(responses) == 1, f"{len(responses)} responses: {responses!r}"
    return check_envelope(responses[0], 400, "BadRequestError")


def login_head(*fields):
    return (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + b"".join(f + b"\r\n" for f in fields) + b"\r\n")


def test_two_different_content_lengths_are_refused(t):
    # first wins in evhttp: 2 bytes of body, then the rest parsed as a request
    body = b"{}" + SMUGGLED
    data = login_head(b"Content-Length: 2", b"Content-Length: " + str(len(body)).encode())
    err = expect_400_and_close(t.server.port, data + body)
    assert "Content-Length" in err["message"], err


def test_repeated_identical_content_length_is_refused(t):
    data = login_head(b"Content-Length: 2", b"Content-Length: 2") + b"{}" + SMUGGLED
    expect_400_and_close(t.server.port, data)


def test_signed_or_listed_content_length_is_refused(t):
    data = login_head(b"Content-Length: +2") + b"{}" + SMUGGLED
    expect_400_and_close(t.server.port, data)
    for value in (b"2, 2", b"0x2", b"-2"):  # evhttp's own strtoll refuses these
        data = login_head(b"Content-Length: " + value) + b"{}" + SMUGGLED
        err = expect_400_and_close(t.server.port, data)
        assert "Content-Length" in err["message"], err


def test_whitespace_before_the_colon_is_refused(t):
    chunked = b"2\r\n{}\r\n0\r\n\r\n"
    expect_400_and_close(t.server.port,
                         login_head(b"Transfer-Encoding : chunked") + chunked + SMUGGLED)
    expect_400_and_close(t.server.port,
                         login_head(b"Content Length: 2") + b"{}" + SMUGGLED)
    expect_400_and_close(t.server.port,
                         login_head(b"X-Odd\x01: 1", b"Content-Length: 2") + b"{}")


def test_transfer_encoding_other_than_chunked_is_refused(t):
    chunked = b"2\r\n{}\r\n0\r\n\r\n"
    for fields in ((b"Transfer-Encoding: gzip, chunked",),
                   (b"Transfer-Encoding: identity",)):
        expect_400_and_close(t.server.port, login_head(*fields) + chunked + SMUGGLED)
    # evhttp's chunk reader refused these first, with its own page
    for fields in ((b"Transfer-Encoding: chunked", b"Content-Length: 2"),
                   (b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked")):
        expect_400_and_close(t.server.port, login_head(*fields) + chunked + SMUGGLED)


def test_broken_chunk_is_refused_with_the_envelope(t):
    head = login_head(b"Transfer-Encoding: chunked")
    for chunked in (b"zz\r\n{}\r\n0\r\n\r\n",          # not a hex size
                    b"2\r\n{}XX0\r\n\r\n",               # no CRLF after the data
                    b"2;ext=1\r\n{}\r\n0\r\n\r\n",      # extension without a space
                    b"0x2\r\n{}\r\n0\r\n\r\n",          # strtoll's 0x prefix
                    b"2" + b" " * 2000 + b";x\r\n{}\r\n0\r\n\r\n",  # size line too long
                    b"2\r\n{}\r\n0\r\nno colon\r\n\r\n"):  # broken trailer
        err = expect_400_and_close(t.server.port, head + chunked + SMUGGLED)
        assert "chunk" in err["message"] or "trailer" in err["message"], (chunked, err)


def test_chunk_extension_after_a_space_still_works(t):
    body = LOGIN_BODY
    chunked = f"{len(body):x} ;name=value\r\n".encode() + body + b"\r\n0\r\nX-T: 1\r\n\r\n"
    responses = until_closed(t.server.port, login_head(b"Transfer-Encoding: chunked",
                                                       b"Connection: close") + chunked)
    assert [r[0] for r in responses] == [200], responses


def test_unparseable_request_line_gets_the_envelope(t):
    for line in (b"GET\r\n", b"GET /health\r\n", b"GET /health HTTP/9.9\r\n",
                 b"GET  /health HTTP/1.1\r\n", b"\x00\x01\x02\r\n", b"\r\n"):
        err = expect_400_and_close(t.server.port, line + b"Host: x\r\n\r\n")
        assert err["message"] == "Malformed request line", (line, err)
    # a header line without a colon, and an obsolete line fold
    expect_400_and_close(t.server.port, b"GET /health HTTP/1.1\r\nHost x\r\n\r\n")
    expect_400_and_close(t.server.port, b"GET /health HTTP/1.1\r\nHost: x\r\n y\r\n\r\n")


def test_malformed_head_in_pieces_gets_the_envelope(t):
    """evhttp takes the request line as soon as it arrives; the rest of the
    head comes later. The framing rules still apply once it is complete."""
    lines = [b"POST /auth/login HTTP/1.1\r\n", b"Host: x\r\n",
             b"Content-Type: application/json\r\n", b"Content-Length: 2\r\n",
             b"Content-Length: 2\r\n", b"\r\n", b"{}" + SMUGGLED]
    err = expect_400_and_close(t.server.port, b"".join(lines), pieces=lines)
    assert "Content-Length" in err["message"], err
    lines = [b"POST /auth/login HTTP/1.1\r\n", b"Host: x\r\nContent-Length: -2\r\n",
             b"\r\n"]
    expect_400_and_close(t.server.port, b"".join(lines), pieces=lines)


def test_malformed_request_pipelined_behind_another_gets_the_envelope(t):
    """The first request is answered first, then the refusal, then close."""
    first = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    for second in (login_head(b"Content-Length: 2, 2") + b"{}",
                   login_head(b"Transfer-Encoding: chunked") + b"zz\r\n"):
        responses = until_closed(t.server.port, first + second + SMUGGLED)
        assert [r[0] for r in responses] == [200, 400], responses
        assert "connection: close" not in responses[0][1], responses[0]
        check_envelope(responses[1], 400, "BadRequestError")


def test_plain_chunked_body_still_works(t):
    body = LOGIN_BODY
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    responses = until_closed(t.server.port, login_head(b"Transfer-Encoding: chunked",
                                                       b"Connection: close") + chunked)
    assert [r[0] for r in responses] == [200], responses


def test_encoded_slash_is_not_a_separator(t):
    access = t.tokens_for()["accessToken"]
    auth = {"Authorization": "Bearer " + access}
    for path in ("/auth%2fme", "/auth%2Fme", "/auth%252Fme"):
        expect_error(t.http("GET", path, headers=auth), 404, name="NotFoundError")
    # other escapes are decoded before routing
    expect(t.http("GET", "/%61uth/m%65", headers=auth), 200)


def test_half_closed_client_gets_its_answer(t):
    # one worker, busy with a slow login: the half-closed request waits in the
    # queue, so its FIN has arrived before a worker looks at it
    srv = t.start_server("halfclose", workers=1, queue_max=64,
                         password={"argon2_m_cost_kib": 65536, "argon2_t_cost": 6,
                                   "argon2_parallelism": 1})
    busy = socket.create_connection(("127.0.0.1", srv.port))
    wrong = jsonlib.dumps({"client_id": "web", "client_secret": CLIENT_SECRET,
                           "username": "nobody-here", "password": "wrong-1"}).encode()
    busy.sendall(login_head(b"Content-Length: " + str(len(wrong)).encode()) + wrong)
    data = login_head(b"Content-Length: " + str(len(LOGIN_BODY)).encode()) + LOGIN_BODY
    responses = until_closed(srv.port, data, half_close=True, timeout=60)
    busy.close()
    final = [r for r in responses if r[0] >= 200]
    assert len(final) == 1 and final[0][0] == 200, responses
    assert "code" in jsonlib.loads(final[0][2]), final
    assert all(r[0] == 100 for r in responses if r[0] < 200), responses


def test_body_without_content_type_is_415(t):
    data = (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
            + str(len(LOGIN_BODY)).encode() + b"\r\n\r\n" + LOGIN_BODY)
    responses = until_closed(t.server.port, data)
    assert len(responses) == 1 and responses[0][0] == 415, responses
    err = jsonlib.loads(responses[0][2])["error"]
    assert err["name"] == "UnsupportedMediaTypeError", err


def test_form_key_given_twice_is_refused(t):
    r = t.http("POST", "/auth/login",
               raw=f"client_id=web&client_secret={CLIENT_SECRET}&username=someone-else"
                   f"&username={USERNAME}&password={PASSWORD}",
               content_type="application/x-www-form-urlencoded")
    expect_error(r, 400, name="BadRequestError")
    r = t.http("POST", "/auth/login",
               raw='{"client_id":"web","username":"a","username":"b","password":"p"}',
               content_type="application/json")
    expect_error(r, 400, name="BadRequestError")


if __name__ == "__main__":
    harness.main(globals())
