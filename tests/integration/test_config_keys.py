# SPDX-License-Identifier: Apache-2.0
"""32-byte key settings (activity.key, mfa.secret_key, clients.secret_key)
through the real binary.

A key that is not 32 bytes written as 64 hex digits or base64 is a config
error: `authsvc --check-config` and start-up exit with status 1 and one log
line naming the setting, never a signal. Keys of 100-128 characters (what
`openssl rand -hex 64` prints) once overflowed a stack buffer in start-up.
"""
import shutil
import subprocess

import harness
from harness import no_fixture

SETTINGS = [("activity", "key", "activity.key"), ("mfa", "secret_key", "mfa.secret_key"),
            ("clients", "secret_key", "clients.secret_key")]


def openssl_rand(*args):
    exe = shutil.which("openssl")
    if exe is None:
        raise harness.SetupError("openssl not found (install openssl)")
    p = subprocess.run([exe, "rand", *args], capture_output=True, text=True,
                       timeout=harness.scaled(30))
    assert p.returncode == 0, f"openssl rand {' '.join(args)} failed: {p.stderr}"
    return p.stdout.strip()


def run(t, name, group, key, value, check=True):
    """authsvc [--check-config] -c FILE with group.key = value; the process."""
    harness._require_binary(harness.BIN, "authsvc", "AUTHSVC_BIN")
    srv = t.suite.new_server(name, **{group: {key: value}})
    srv.port = harness.free_port()
    path = srv.write_config()
    args = [harness.BIN, "--check-config", "-c", path] if check else [harness.BIN, "-c", path]
    try:
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=harness.scaled(30))
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{' '.join(args)} with a bad {group}.{key} kept running")


def expect_refused(p, setting, value):
    out = p.stdout + p.stderr
    assert p.returncode >= 0, f"killed by signal {-p.returncode} for {setting}: {out}"
    assert p.returncode == 1, f"exit status {p.returncode} for a bad {setting}: {out}"
    errors = [line for line in out.splitlines() if "level=error" in line]
    assert len(errors) == 1, f"want one error line, got {len(errors)}: {out}"
    assert setting in errors[0] and "32-byte key" in errors[0], \
        f"the error does not name {setting} as a 32-byte key: {errors[0]}"
    assert value not in out, f"the {setting} value reached the output: {out}"


def bad_values():
    hex64 = openssl_rand("-hex", "64")  # 128 characters
    assert len(hex64) == 128, hex64
    return [("hex64", hex64), ("hex100", hex64[:100]),
            ("b64_64", openssl_rand("-base64", "64").replace("\n", ""))]


@no_fixture
def test_check_config_refuses_long_keys(t):
    for group, key, setting in SETTINGS:
        for label, value in bad_values():
            p = run(t, f"{group}-{label}", group, key, value)
            expect_refused(p, setting, value)


@no_fixture
def test_start_refuses_long_keys(t):
    for group, key, setting in SETTINGS:
        value = openssl_rand("-hex", "64")
        p = run(t, f"{group}-start", group, key, value, check=False)
        expect_refused(p, setting, value)


@no_fixture
def test_check_config_accepts_32_byte_keys(t):
    for group, key, setting in SETTINGS:
        for label, value in (("hex", openssl_rand("-hex", "32")),
                             ("b64", openssl_rand("-base64", "32")),
                             ("b64_unpadded", openssl_rand("-base64", "32").rstrip("="))):
            p = run(t, f"{group}-ok-{label}", group, key, value)
            assert p.returncode == 0, f"{setting} = {label} key refused: {p.stdout}{p.stderr}"
            assert "configuration ok" in p.stdout, p.stdout


if __name__ == "__main__":
    harness.main(globals())
