# SPDX-License-Identifier: Apache-2.0
"""Client secrets at rest (issue 15): stored as HMAC-SHA-256 under
clients.secret_key, which lives outside the database; rows of the older
forms (unsalted SHA-256, upstream's clear text) still authenticate and are
rewritten keyed at their next successful use."""
import hashlib
import hmac

import harness
from harness import CLIENT_SECRET, CLIENT_SECRET_KEY, expect, expect_error

KEY = bytes.fromhex(CLIENT_SECRET_KEY)


def keyed(secret):
    return "hmac-sha256:" + hmac.new(KEY, secret.encode(), hashlib.sha256).hexdigest()


def stored(t, client_id="web"):
    return t.db.value("SELECT client_secret FROM main.auth_clients WHERE client_id = :'c' "
                      "AND NOT deleted", c=client_id)


def set_stored(t, value, client_id="web"):
    t.db.sql("UPDATE main.auth_clients SET client_secret = :'v' WHERE client_id = :'c'",
             v=value, c=client_id)


def test_admin_cli_writes_the_keyed_form(t):
    t.add_client("keyed", secret="an operator's weak secret")
    assert stored(t, "keyed") == keyed("an operator's weak secret"), stored(t, "keyed")
    t.allow_client(harness.USERNAME, "keyed")
    expect(t.login(client_id="keyed", client_secret="an operator's weak secret"), 200)
    expect_error(t.login(client_id="keyed", client_secret="wrong"), 401)


def test_sha256_row_logs_in_and_is_rewritten_keyed(t):
    old = "sha256:" + hashlib.sha256(CLIENT_SECRET.encode()).hexdigest()
    set_stored(t, old)
    expect_error(t.login(client_secret="wrong"), 401)
    assert stored(t) == old                     # a wrong secret rewrites nothing
    expect(t.login(), 200)
    assert stored(t) == keyed(CLIENT_SECRET), stored(t)
    expect(t.login(), 200)                      # and the keyed row works


def test_clear_row_from_upstream_is_rewritten_keyed(t):
    set_stored(t, CLIENT_SECRET)
    expect(t.login(), 200)
    assert stored(t) == keyed(CLIENT_SECRET), stored(t)


def test_keyed_row_needs_the_key(t):
    # without the key (or with another) a keyed row matches nothing
    for other in ("", "a7" * 32):
        srv = t.start_server("otherkey", clients={"secret_key": other})
        expect_error(t.login(server=srv), 401)
        srv.stop()
    assert stored(t) == keyed(CLIENT_SECRET)


if __name__ == "__main__":
    harness.main(globals())
