# SPDX-License-Identifier: Apache-2.0
"""The Grafana dashboard (docs/grafana/authsvc.json, issue 19): valid JSON
whose every PromQL query names only metrics that a live server exports on
/metrics, with panels for request rate and latency by route, login
outcomes, lockouts, queue and database health."""
import json
import os
import re

import harness
from harness import expect

import prom

DASHBOARD = os.path.join(harness.REPO, "docs", "grafana", "authsvc.json")

# PromQL words that are not metric names (functions are told apart by "(")
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "offset", "bool", "inf", "nan"}


def metric_names(expr):
    """Metric names in one PromQL expression."""
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)   # string literals
    s = re.sub(r"\{[^}]*\}", "", s)                 # label matchers
    s = re.sub(r"\[[^\]]*\]", "", s)                # range selectors
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", s)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", s):
        if s[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if m.group(0).lower() not in KEYWORDS:
            names.add(m.group(0))
    return names


def queries(dash):
    """(where, expr) for every panel target, nested rows included, and the
    metric of every label_values() variable."""
    out = []

    def walk(panels):
        for p in panels:
            for tgt in p.get("targets", []):
                out.append((p.get("title"), tgt["expr"]))
            walk(p.get("panels", []))
    walk(dash["panels"])
    for var in dash.get("templating", {}).get("list", []):
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if var.get("type") == "query":
            m = re.fullmatch(r"\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*\w+\s*\)\s*", q)
            assert m, f"variable {var['name']}: {q!r}"
            out.append((f"${var['name']}", m.group(1)))
    return out


def exported(text, name):
    return text.family_of(name) is not None


def test_extractor_sees_metrics(t):
    """The extractor itself: names found, functions, labels and keywords not."""
    del t
    assert metric_names('histogram_quantile(0.99, sum by (le, route) (rate('
                        'authsvc_x_bucket{instance=~"$instance",a="b{c}"}[$__rate_interval])))') \
        == {"authsvc_x_bucket"}
    assert metric_names("sum(rate(a_total[5m])) / sum(rate(b_total[5m])) > bool 0") \
        == {"a_total", "b_total"}


def test_every_query_names_an_exported_metric(t):
    with open(DASHBOARD) as f:
        dash = json.load(f)
    port = harness.free_port()
    srv = t.start_server("grafana", metrics={"enabled": True, "listen": f"127.0.0.1:{port}"})
    expect(srv.http("GET", "/health"), 200)
    status, _, text = prom.scrape(port)
    assert status == 200, text
    qs = queries(dash)
    assert len(qs) >= 15, qs
    missing = []
    for where, expr in qs:
        names = metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        missing += [(where, n) for n in sorted(names) if not exported(text, n)]
    assert not missing, f"queries name metrics /metrics does not export: {missing}"
    # and the panels the issue asks for
    titles = " | ".join(p["title"].lower() for p in dash["panels"])
    for topic in ("request rate by route", "latency p99 by route", "login outcomes",
                  "lockouts", "queue depth", "queue wait", "database connections"):
        assert topic in titles, (topic, titles)


if __name__ == "__main__":
    harness.main(globals())
