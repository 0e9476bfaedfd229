# SPDX-License-Identifier: Apache-2.0
"""A strict logfmt parser for the server's log lines.

One line is space-separated key=value pairs. A key is one or more
characters other than space, `=`, `"` and control characters. A value is
either bare (zero or more such characters, no backslash) or in double
quotes, where `"` and `\\` appear only as `\\"` and `\\\\`, and the only
other escapes are `\\n`, `\\r`, `\\t` and `\\uXXXX`. No raw control
character anywhere, no word without `=`, no duplicate key. parse() returns
the pairs as a dict or raises ValueError saying where the line breaks the
rules.
"""

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def _plain(c):
    return c > " " and c not in '="\\\x7f'


def parse(line):
    if line.endswith("\n"):
        line = line[:-1]
    out = {}
    i, n = 0, len(line)
    if n == 0:
        raise ValueError("empty line")
    for j, c in enumerate(line):
        if c < " " or c == "\x7f":
            raise ValueError(f"raw control character {c!r} at {j}")
    while i < n:
        start = i
        while i < n and _plain(line[i]):
            i += 1
        key = line[start:i]
        if not key:
            raise ValueError(f"expected a key at {i}: {line[i:i + 20]!r}")
        if i >= n or line[i] != "=":
            raise ValueError(f"word without '=' at {start}: {line[start:start + 20]!r}")
        i += 1
        if i < n and line[i] == '"':
            i += 1
            val = []
            while True:
                if i >= n:
                    raise ValueError(f"unterminated quoted value of {key}")
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    if i + 1 >= n:
                        raise ValueError(f"dangling backslash in {key}")
                    e = line[i + 1]
                    if e in _ESCAPES:
                        val.append(_ESCAPES[e])
                        i += 2
                    elif e == "u" and i + 6 <= n and all(
                            h in "0123456789abcdefABCDEF" for h in line[i + 2:i + 6]):
                        val.append(chr(int(line[i + 2:i + 6], 16)))
                        i += 6
                    else:
                        raise ValueError(f"bad escape \\{e} in {key}")
                    continue
                val.append(c)
                i += 1
            value = "".join(val)
        else:
            start = i
            while i < n and line[i] != " ":
                if not _plain(line[i]):
                    raise ValueError(f"{line[i]!r} in the bare value of {key} at {i}")
                i += 1
            value = line[start:i]
        if key in out:
            raise ValueError(f"duplicate key {key}")
        out[key] = value
        if i < n:
            if line[i] != " ":
                raise ValueError(f"expected a space after {key} at {i}: {line[i:i + 20]!r}")
            while i < n and line[i] == " ":
                i += 1
            if i == n:
                raise ValueError("trailing space")
    return out
