# SPDX-License-Identifier: Apache-2.0
"""A strict reader of the Prometheus text exposition format (0.0.4) for the
metrics tests: every line is a HELP, a TYPE or a sample; a family's HELP
and TYPE come once and before its samples; metric and label names are
well formed; label values are escaped; values are floats; histogram
buckets rise, end in +Inf and equal _count. Anything else raises."""

import math
import re

import harness

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Text:
    def __init__(self):
        self.types = {}    # family -> type
        self.helps = {}    # family -> help text
        self.samples = []  # (name, labels dict, value)

    def family_of(self, name):
        if name in self.types:
            return name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and self.types.get(base) == "histogram":
                return base
        return None

    def value(self, name, **labels):
        """The sample's value; None when there is no such series."""
        for n, ls, v in self.samples:
            if n == name and ls == labels:
                return v
        return None

    def total(self, name, **labels):
        """Sum over the series of name whose labels include labels."""
        return sum(v for n, ls, v in self.samples
                   if n == name and all(ls.get(k) == x for k, x in labels.items()))

    def names(self):
        return set(self.types)


def _labels(s, i, line):
    out = {}
    while True:
        if s[i] == "}":
            return out, i + 1
        m = _LABEL.match(s, i)
        assert m, f"bad label name at {i}: {line!r}"
        key = m.group(0)
        i = m.end()
        assert s.startswith('="', i), f"expected =\" at {i}: {line!r}"
        i += 2
        val = []
        while s[i] != '"':
            c = s[i]
            assert c != "\n", line
            if c == "\\":
                i += 1
                esc = {"n": "\n", "\\": "\\", '"': '"'}.get(s[i])
                assert esc is not None, f"bad escape in {line!r}"
                c = esc
            val.append(c)
            i += 1
        i += 1
        assert key not in out, f"label {key} twice: {line!r}"
        out[key] = "".join(val)
        if s[i] == ",":
            i += 1
        else:
            assert s[i] == "}", f"expected , or }} at {i}: {line!r}"


def _value(s, line):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    assert re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s), f"bad value: {line!r}"
    return float(s)


def parse(text):
    assert text.endswith("\n"), "exposition must end with a newline"
    out = Text()
    for line in text.split("\n")[:-1]:
        assert line, "empty line"
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert _NAME.fullmatch(name) and help_text, line
            assert name not in out.helps, f"HELP twice: {line!r}"
            assert not any(out.family_of(n) == name for n, _, _ in out.samples), \
                f"HELP after samples: {line!r}"
            out.helps[name] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            assert _NAME.fullmatch(name) and typ in TYPES, line
            assert name not in out.types, f"TYPE twice: {line!r}"
            out.types[name] = typ
            continue
        assert not line.startswith("#"), f"unknown comment: {line!r}"
        m = _NAME.match(line)
        assert m, f"bad metric name: {line!r}"
        name, i, labels = m.group(0), m.end(), {}
        if line[i:i + 1] == "{":
            labels, i = _labels(line, i + 1, line)
        assert line[i:i + 1] == " ", f"expected a space: {line!r}"
        rest = line[i + 1:].split(" ")
        assert len(rest) in (1, 2), line  # value [timestamp]
        value = _value(rest[0], line)
        assert out.family_of(name), f"sample before its TYPE: {line!r}"
        if out.types[out.family_of(name)] == "counter":
            assert value >= 0, line
        out.samples.append((name, labels, value))
    _check_histograms(out)
    return out


def _check_histograms(out):
    series = {}
    for name, labels, value in out.samples:
        if name.endswith("_bucket") and out.family_of(name) != name:
            rest = {k: v for k, v in labels.items() if k != "le"}
            assert "le" in labels, name
            series.setdefault((name[:-7], tuple(sorted(rest.items()))), []).append(
                (labels["le"], value))
    for (base, rest), buckets in series.items():
        les = [float(le.replace("+Inf", "inf")) for le, _ in buckets]
        assert les == sorted(les) and math.isinf(les[-1]), (base, rest, les)
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), (base, rest, counts)
        assert out.value(base + "_count", **dict(rest)) == counts[-1], (base, rest)
        assert out.value(base + "_sum", **dict(rest)) is not None, (base, rest)


def scrape(port, path="/metrics"):
    """GET the metrics listener; (status, content type, parsed or text)."""
    r = harness.http(f"http://127.0.0.1:{port}", "GET", path)
    if r.status != 200:
        return r.status, r.headers.get("content-type"), r.text
    return r.status, r.headers.get("content-type"), parse(r.text)
