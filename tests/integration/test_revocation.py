# SPDX-License-Identifier: Apache-2.0
"""Two instances on one database: tokens, codes and revocations are shared
(docs/operator-guide.md, "Running it": LISTEN/NOTIFY plus polling).

The instances here poll once an hour, so a revocation that reaches the other
one within a second came by notification: a batched NOTIFY from the
instance that revoked, or the revoked_tokens trigger's for other writers."""
import harness
from harness import expect, expect_error, jwt_parts, wait_until

NO_POLL = {"tokens": {"revocation_poll": 3600}}


def two(t):
    a = t.start_server("a", **NO_POLL)
    b = t.start_server("b", **NO_POLL)  # after a: a generated the signing keys already
    return a, b


def wait_refused(t, access, server, what, within=1):
    """Within `within` seconds (scaled), server answers 401 to the token."""
    wait_until(lambda: t.me(access, server=server).status == 401, within, what=what)


def revoke_sql(access):
    """INSERT of the access token's revocation, as another program would."""
    claims = jwt_parts(access)[1]
    return ("INSERT INTO main.revoked_tokens (jti, expires_at)"
            f" VALUES ('{claims['jti']}', to_timestamp({int(claims['exp'])}))")


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
    wait_refused(t, tokens["accessToken"], b, what="instance b to refuse the logged-out token")


def test_refresh_on_a_revokes_old_access_on_b(t):
    a, b = two(t)
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=b), 200)
    new = expect(t.refresh(tokens, server=a), 200).body
    wait_refused(t, tokens["accessToken"], b,
                 what="instance b to refuse the rotated-out access token")
    expect(t.me(new["accessToken"], server=b), 200)


def test_refresh_token_rotated_on_a_is_refused_on_b(t):
    a, b = two(t)
    tokens = t.tokens_for(server=a)
    expect(t.refresh(tokens, server=a), 200)
    expect_error(t.refresh(tokens, server=b), 401)


def test_a_burst_of_refreshes_on_a_all_reach_b(t):
    # many revocations committed close together go out in a few batches;
    # none may fall between two of them
    a, b = two(t)
    sessions = [t.tokens_for(server=a) for _ in range(12)]
    for s in sessions:
        expect(t.me(s["accessToken"], server=b), 200)
    for r in harness.concurrently([lambda s=s: t.refresh(s, server=a) for s in sessions]):
        expect(r, 200)
    wait_until(lambda: all(t.me(s["accessToken"], server=b).status == 401 for s in sessions),
               1, what="instance b to refuse all 12 rotated-out access tokens")


def test_row_inserted_by_another_program_reaches_a_running_instance(t):
    a = t.start_server("a", **NO_POLL)
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=a), 200)
    t.db.sql(revoke_sql(tokens["accessToken"]))  # the trigger NOTIFYs this row
    wait_refused(t, tokens["accessToken"], a,
                 what="the instance to refuse a token revoked with psql")


def test_a_revocation_nobody_announced_is_found_by_the_poll(t):
    # a lost notification: the row comes without any NOTIFY, the once-a-
    # second poll reads it by snapshot like a notification would
    a = t.start_server("a", tokens={"revocation_poll": 1})
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=a), 200)
    t.db.sql("SET authsvc.revocations = 'batched';\n" + revoke_sql(tokens["accessToken"]))
    wait_refused(t, tokens["accessToken"], a, within=3,  # one poll, with room
                 what="the poll to find an unannounced revocation")


def test_a_revocation_committed_after_a_read_is_found_by_the_next(t):
    # The listener reads the rows its last read could not see, by snapshot:
    # a transaction that was running during one read (it began before) and
    # commits afterwards is found by the next read, whatever its timestamps.
    a, b = two(t)
    held = t.tokens_for(server=a)
    expect(t.me(held["accessToken"], server=a), 200)
    holder = t.db.hold("SET LOCAL authsvc.revocations = 'batched'; "  # no NOTIFY of its own
                       + revoke_sql(held["accessToken"]))
    try:
        first = t.tokens_for(server=b)
        expect(t.me(first["accessToken"], server=a), 200)
        expect(t.refresh(first, server=b), 200)
        # a read on a ran while the holder's transaction was in progress
        wait_refused(t, first["accessToken"], a, what="instance a to refuse a token b rotated out")
        expect(t.me(held["accessToken"], server=a), 200)
    finally:
        holder.release()
    second = t.tokens_for(server=b)
    expect(t.refresh(second, server=b), 200)  # one more batch from b: a reads again
    wait_refused(t, second["accessToken"], a, what="instance a to read again")
    expect_error(t.me(held["accessToken"], server=a), 401)


def test_a_stopping_instance_announces_its_last_batch(t):
    # a announces at most once a second: the first logout goes out at once,
    # the second waits for the next batch, and SIGTERM comes before it
    a = t.start_server("a", tokens={"revocation_poll": 3600, "revocation_batch_ms": 1000})
    b = t.start_server("b", **NO_POLL)
    first, second = t.tokens_for(server=a), t.tokens_for(server=a)
    for s in (first, second):
        expect(t.me(s["accessToken"], server=b), 200)
    expect(t.logout(first, server=a), 200)
    expect(t.logout(second, server=a), 200)
    a.stop()
    wait_refused(t, second["accessToken"], b, what="instance b to refuse a's last revocation")
    expect_error(t.me(first["accessToken"], server=b), 401)


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
