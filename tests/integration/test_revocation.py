"""Two instances on one database: tokens, codes and revocations are shared
(ARCHITECTURE 'Scale'; LISTEN/NOTIFY plus polling)."""
import harness
from harness import expect, expect_error, wait_until


def two(t):
    a = t.start_server("a")
    b = t.start_server("b")  # after a: a generated the signing keys already
    return a, b


def test_token_from_a_works_on_b(t):
    a, b = two(t)
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=b), 200)


def test_code_from_a_exchanges_on_b_once(t):
    a, b = two(t)
    code = t.code(server=a)
    t.exchange(code, server=b)
    expect_error(t.exchange(code, server=a, expect_ok=False), 401, "Code Expired")


def test_logout_on_a_revokes_on_b_within_a_second(t):
    a, b = two(t)
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=b), 200)  # b has seen (and cached) it
    expect(t.logout(tokens, server=a), 200)
    wait_until(lambda: t.me(tokens["accessToken"], server=b).status == 401, 1,
               what="instance b to refuse the logged-out token")


def test_refresh_on_a_revokes_old_access_on_b(t):
    a, b = two(t)
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=b), 200)
    new = expect(t.refresh(tokens, server=a), 200).body
    wait_until(lambda: t.me(tokens["accessToken"], server=b).status == 401, 1,
               what="instance b to refuse the rotated-out access token")
    expect(t.me(new["accessToken"], server=b), 200)


def test_refresh_token_rotated_on_a_is_refused_on_b(t):
    a, b = two(t)
    tokens = t.tokens_for(server=a)
    expect(t.refresh(tokens, server=a), 200)
    expect_error(t.refresh(tokens, server=b), 401)


def test_revocation_survives_restart(t):
    a = t.start_server("a")
    tokens = t.tokens_for(server=a)
    expect(t.logout(tokens, server=a), 200)
    c = t.start_server("c")  # a fresh instance loads revocations from the database
    expect_error(t.me(tokens["accessToken"], server=c), 401)


def test_both_stop_cleanly_under_load(t):
    a, b = two(t)
    results = harness.concurrently([lambda: t.tokens_for(server=a),
                                    lambda: t.tokens_for(server=b)] * 3)
    for r in results:
        assert isinstance(r, dict) and "accessToken" in r, f"{r!r}"
    # stop (and the exit-status check) happens when the test ends


if __name__ == "__main__":
    harness.main(globals())
