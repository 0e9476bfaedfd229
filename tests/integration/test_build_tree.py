# SPDX-License-Identifier: Apache-2.0
"""Binaries run from the build tree or copied anywhere need no paths in the
config: the migrations are compiled in (sql_dir only overrides them), and a
binary of the build tree finds the plugins it was built with (plugin_dir
only overrides that). An installed binary (here: a copy outside the build
tree) uses the configured install directory for plugins and still migrates.
"""
import glob
import os
import shutil
import subprocess

import harness
from harness import no_fixture

SQL = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(harness.REPO, "host", "sql",
                                                                       "[0-9]*_*.sql")))


def config(t, name, db_url, **overrides):
    """A config file without sql_dir and plugin_dir (unless given)."""
    settings = harness.merge(harness.base_config(db_url, harness.free_port()), overrides)
    for key in ("sql_dir", "plugin_dir"):
        if key not in overrides:
            settings.pop(key)
    path = os.path.join(t.suite.tmp, f"{name}.conf")
    with open(path, "w") as f:
        f.write(harness.to_libconfig(settings))
    return path


def run(args, cwd="/"):
    return subprocess.run(args, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=harness.scaled(60))


def versions(db):
    out = db.sql("SELECT version FROM public.authsvc_migrations ORDER BY version")
    return [row[0] for row in out]


@no_fixture
def test_migrate_without_sql_dir(t):
    fresh = harness.Db("builtin")
    try:
        conf = config(t, "nosql", fresh.url)
        p = run([harness.ADMIN_BIN, "-c", conf, "migrate"])
        assert p.returncode == 0, f"migrate without sql_dir: {p.returncode} {p.stderr}"
        assert f"migrations applied: {len(SQL)}" in p.stdout, p.stdout
        assert versions(fresh) == SQL, f"{versions(fresh)} != host/sql {SQL}"
        p = run([harness.ADMIN_BIN, "-c", conf, "migrate"])
        assert p.returncode == 0 and "migrations applied: 0" in p.stdout, p
    finally:
        fresh.drop()


@no_fixture
def test_migrate_from_a_copy_outside_the_build_tree(t):
    # a binary whose compiled-in install directories do not exist here
    bindir = os.path.join(t.suite.tmp, "sbin")
    os.makedirs(bindir)
    admin = shutil.copy(harness.ADMIN_BIN, bindir)
    fresh = harness.Db("copied")
    try:
        conf = config(t, "copied", fresh.url)
        p = run([admin, "-c", conf, "migrate"])
        assert p.returncode == 0, f"copied authsvc-admin migrate: {p.returncode} {p.stderr}"
        assert versions(fresh) == SQL, versions(fresh)
    finally:
        fresh.drop()


@no_fixture
def test_sql_dir_still_overrides(t):
    fresh = harness.Db("override")
    try:
        bogus = os.path.join(t.suite.tmp, "no-such-sql")
        p = run([harness.ADMIN_BIN, "-c", config(t, "bogus", fresh.url, sql_dir=bogus),
                 "migrate"])
        assert p.returncode != 0 and "no-such-sql" in p.stderr, p
        # a directory with only the first migration: only that one is applied
        one = os.path.join(t.suite.tmp, "one-sql")
        os.makedirs(one)
        shutil.copy(os.path.join(harness.REPO, "host", "sql", SQL[0] + ".sql"), one)
        p = run([harness.ADMIN_BIN, "-c", config(t, "one", fresh.url, sql_dir=one), "migrate"])
        assert p.returncode == 0 and "migrations applied: 1" in p.stdout, p
        assert versions(fresh) == SQL[:1], versions(fresh)
        p = run([harness.ADMIN_BIN, "-c", conf_path(t, fresh), "migrate", "--sql-dir", bogus])
        assert p.returncode != 0 and "no-such-sql" in p.stderr, p
    finally:
        fresh.drop()


def conf_path(t, db):
    return config(t, "plain", db.url)


@no_fixture
def test_migrate_on_start_without_sql_dir(t):
    fresh = harness.Db("onstart")
    try:
        srv = t.suite.new_server("onstart", migrate_on_start=True, sql_dir=None, plugin_dir=None)
        srv.db_url = fresh.url
        srv.start()
        assert versions(fresh) == SQL, versions(fresh)
        srv.stop()
    finally:
        fresh.drop()


@no_fixture
def test_build_tree_binary_finds_its_plugins(t):
    conf = config(t, "plugins", t.suite.db.url)
    p = run([harness.BIN, "--list-plugins", "-c", conf])
    assert p.returncode == 0, f"--list-plugins without plugin_dir: {p.returncode} {p.stderr}"
    assert os.path.join(os.path.dirname(os.path.realpath(harness.BIN)), "plugins", "local.so") in p.stdout, p.stdout
    # a copy outside the build tree (an installed binary) looks in the
    # install directory instead, and says so
    bindir = os.path.join(t.suite.tmp, "bin")
    os.makedirs(bindir)
    copy = shutil.copy(harness.BIN, bindir)
    p = run([copy, "--list-plugins", "-c", conf])
    assert p.returncode == 0, p
    assert os.path.dirname(os.path.realpath(harness.BIN)) not in p.stdout, p.stdout
    assert "/lib/authsvc/plugins/local.so" in p.stdout, p.stdout

if __name__ == "__main__":
    harness.main(globals())
