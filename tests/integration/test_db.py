# SPDX-License-Identifier: Apache-2.0
"""store/db.c's transactions against the real PostgreSQL: BEGIN and deferred
writes sent in libpq pipelines, failures inside them, a connection lost in a
transaction. The checks are C (db_check.c, cmocka); this runs them on the
suite's database."""
import os
import subprocess

import harness
from harness import no_fixture

DB_CHECK = os.environ.get("AUTHSVC_DB_CHECK_BIN",
                          os.path.join(harness.BUILD, "tests", "integration", "db_check"))


@no_fixture
def test_db_transactions(t):
    if not os.path.exists(DB_CHECK):
        raise harness.SetupError(f"{DB_CHECK} is missing (build first, or set AUTHSVC_DB_CHECK_BIN)")
    p = subprocess.run([DB_CHECK], env=dict(os.environ, AUTHSVC_TEST_DB_URL=t.db.url),
                       capture_output=True, text=True, timeout=harness.scaled(60))
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"db_check failed ({p.returncode}):\n{out}"
    # every check ran (cmocka prints the summary on stderr)
    assert "[  PASSED  ] 10 test(s)" in out, out


if __name__ == "__main__":
    harness.main(globals())
