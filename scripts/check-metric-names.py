#!/usr/bin/env python3
"""Checks that every metric the Grafana dashboard and the Prometheus rules
query is one that a running `xatm serve` serves.

  scripts/check-metric-names.py XATM_BINARY [REPO_DIR]
  scripts/check-metric-names.py --scrape FILE [REPO_DIR]

Reads every PromQL expression of deploy/grafana/xatm-dashboard.json (panel
targets and template variable queries) and of
deploy/prometheus/xatm-rules.yml, and takes out the series names: function
and aggregation names, keywords, label names in by/without/on/ignoring,
strings, numbers, durations and Grafana variables are not names. Names a
recording rule of the file defines count as known. Then it starts `xatm
serve` with --metrics-listen on the test servers (the environment of
scripts/db.sh's env.sh), scrapes /metrics once and stops it with SIGTERM.

A name must appear as a sample line of the scrape, exactly as queried
(xatm_commit_seconds_bucket only exists for a histogram): a family's HELP
and TYPE lines alone do not count. Every family xatm registers has samples
from the start (prometheus-cpp serves a histogram with zero counts, and the
library adds every label value of its counters up front), so no event has
to happen first. A label matcher `label="value"` (or `=~`) on a name must
match a served sample's label too; job and instance are added by the scrape
and are not checked. With --scrape FILE it checks against a saved scrape
instead of starting serve.

Exits 1 naming each missing name or label and where it is used.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

# Labels the scrape adds, not the process.
SCRAPE_LABELS = {'job', 'instance'}
KEYWORDS = {'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
            'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'}
LABEL_LIST_KEYWORDS = {'by', 'without', 'on', 'ignoring', 'group_left',
                       'group_right'}
IDENT = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*'
                     r'("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)\s*,?')


def strip_grafana(expr):
    """The expression with Grafana's variables made neutral: a range or a
    label value stays well-formed, and no variable reads as a name."""
    expr = re.sub(r'\[\[\w+\]\]|\$\{[^}]*\}|\$\w+', '0', expr)
    return expr


def selectors(expr):
    """(name, [(label, op, value)]) for each series selector of a PromQL
    expression."""
    expr = strip_grafana(expr)
    found = []
    i = 0
    last_keyword = None
    while i < len(expr):
        c = expr[i]
        if c in '"\'`':  # a string: skipped whole
            end = i + 1
            while end < len(expr) and expr[end] != c:
                end += 2 if expr[end] == '\\' and c != '`' else 1
            i = end + 1
            continue
        if c == '[':  # a range or subquery: durations only
            i = expr.index(']', i) + 1
            continue
        if c == '{':  # matchers without a name before them
            matchers, i = read_matchers(expr, i)
            names = [v for (l, op, v) in matchers if l == '__name__' and op == '=']
            found.append((names[0] if names else None, matchers))
            continue
        if c.isdigit() or (c == '.' and expr[i + 1:i + 2].isdigit()):
            m = re.compile(r'[0-9.]+(?:[eE][+-]?[0-9]+)?[a-zA-Z0-9]*').match(expr, i)
            i = m.end()  # a number or a duration (5m, 1h30m)
            continue
        m = IDENT.match(expr, i)
        if not m:
            i += 1
            continue
        word = m.group(0)
        i = m.end()
        rest = expr[i:].lstrip()
        if word.lower() in KEYWORDS:
            last_keyword = word.lower()
            if last_keyword in LABEL_LIST_KEYWORDS and rest.startswith('('):
                i = expr.index(')', i) + 1  # a list of label names
            continue
        if rest.startswith('(') or re.match(r'(by|without)\s*\(', rest):
            continue  # a function, or an aggregation (sum by (l) (...))
        matchers = []
        if rest.startswith('{'):
            matchers, i = read_matchers(expr, expr.index('{', i))
        found.append((word, matchers))
    return found


def read_matchers(expr, at):
    """The matchers of the {...} at `at`, and the index after it."""
    end = at + 1
    matchers = []
    while True:
        m = MATCHER.match(expr, end)
        if not m:
            break
        value = m.group(3)[1:-1]
        matchers.append((m.group(1), m.group(2), value))
        end = m.end()
    close = expr.index('}', end)
    if expr[end:close].strip():
        raise ValueError('cannot read the matchers of: ' + expr)
    return matchers, close + 1


def label_values_query(query):
    """The selector of Grafana's label_values(SELECTOR, LABEL) ('' for
    label_values(LABEL)), or None for another query."""
    if re.match(r'\s*label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$', query):
        return ''
    m = re.match(r'\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$',
                 query, re.S)
    return m.group(1) if m else None


def dashboard_exprs(root, path):
    """(where, expr) for every query of the dashboard at root/path."""
    with open(os.path.join(root, path), encoding='utf-8') as f:
        dash = json.load(f)
    out = []

    def panels(items):
        for p in items:
            yield p
            yield from panels(p.get('panels', []))

    for p in panels(dash.get('panels', [])):
        for t in p.get('targets', []):
            if t.get('expr'):
                out.append(('%s: panel "%s" %s' % (path, p.get('title'),
                                                   t.get('refId')), t['expr']))
    for v in dash.get('templating', {}).get('list', []):
        if v.get('type') != 'query':
            continue
        q = v.get('query')
        q = q.get('query', '') if isinstance(q, dict) else q or ''
        inner = label_values_query(q)
        out.append(('%s: variable $%s' % (path, v.get('name')),
                    inner if inner is not None else q))
    return out


def rules_exprs(root, path):
    """(where, expr) for every rule of root/path, and the names its recording
    rules define."""
    with open(os.path.join(root, path), encoding='utf-8') as f:
        doc = yaml.safe_load(f)
    out, recorded = [], set()
    for group in doc.get('groups', []):
        for rule in group.get('rules', []):
            name = rule.get('alert') or rule.get('record')
            if 'record' in rule:
                recorded.add(rule['record'])
            out.append(('%s: rule %s' % (path, name), rule['expr']))
    return out, recorded


def parse_scrape(text):
    """{name: [labels dict]} of the sample lines."""
    served = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s', line)
        if not m:
            raise ValueError('not a sample line: ' + line)
        labels = {}
        if m.group(2):
            for l, _, v in read_matchers(m.group(2), 0)[0]:
                labels[l] = v
        served.setdefault(m.group(1), []).append(labels)
    return served


def matches(op, pattern, value):
    if op == '=':
        return value == pattern
    if op == '!=':
        return value != pattern
    hit = re.fullmatch(pattern, value) is not None
    return hit if op == '=~' else not hit


def check(uses, recorded, served):
    """The problems, one line each."""
    problems = []
    for where, expr in uses:
        for name, matchers in selectors(expr):
            if name is None:
                problems.append('%s: a selector without a name: %s' % (where, expr))
                continue
            if name in recorded:
                continue
            if name not in served:
                problems.append('%s: %s is not served' % (where, name))
                continue
            for label, op, value in matchers:
                if label in SCRAPE_LABELS or label == '__name__':
                    continue
                if not any(matches(op, value, s.get(label, ''))
                           for s in served[name]):
                    problems.append('%s: no served %s has %s%s"%s"' %
                                    (where, name, label, op, value))
    return problems


def self_test():
    """The name extraction on expressions whose answer is known."""
    cases = {
        'sum by (le, resource) (rate(a_bucket{job=~"$job",x="y"}[$__rate_interval]))':
            [('a_bucket', [('job', '=~', '0'), ('x', '=', 'y')])],
        'histogram_quantile(0.99, sum without (instance) (rate(b[5m]))) > 0.25':
            [('b', [])],
        'c / on (job) group_left (code) d offset 5m and bool e == 1e3':
            [('c', []), ('d', []), ('e', [])],
        'label_replace(f, "dst", "$1", "src", "(.*)") unless {__name__="g"}':
            [('f', []), ('g', [('__name__', '=', 'g')])],
        'sum(rate(h:rec:p99[1h30m])) by (instance) or Inf':
            [('h:rec:p99', [])],
    }
    for expr, want in cases.items():
        got = selectors(expr)
        if got != want:
            sys.exit('check-metric-names: self-test: %s gave %s, not %s'
                     % (expr, got, want))


def free_address():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return '127.0.0.1:%d' % port


def scrape_serve(xatm):
    """The text of one scrape of a running `xatm serve` on the test servers."""
    env = os.environ
    for key in ('XATM_TEST_PG_CONNINFO', 'XATM_TEST_MY_HOST', 'XATM_TEST_MY_PORT',
                'XATM_TEST_MY_USER', 'XATM_TEST_MY_DATABASE', 'XATM_MY_PASSWORD'):
        if key not in env:
            sys.exit('check-metric-names: %s is not set (. DIR/env.sh of '
                     'scripts/db.sh start DIR)' % key)
    work = tempfile.mkdtemp(prefix='xatm-metric-names.')
    try:
        config = os.path.join(work, 'xatm.ini')
        with open(config, 'w', encoding='utf-8') as f:
            f.write('node = mn%s\nlog_dir = log\n\n[resource.pg]\n'
                    'type = postgresql\nconninfo = %s\n\n[resource.my]\n'
                    'type = mysql\nhost = %s\nport = %s\nuser = %s\n'
                    'database = %s\npassword_env = XATM_MY_PASSWORD\n' % (
                        secrets.token_hex(5), env['XATM_TEST_PG_CONNINFO'],
                        env['XATM_TEST_MY_HOST'], env['XATM_TEST_MY_PORT'],
                        env['XATM_TEST_MY_USER'], env['XATM_TEST_MY_DATABASE']))
        subprocess.run([xatm, '--config', config, 'init'], check=True,
                       stdout=subprocess.DEVNULL)
        address = free_address()
        err_path = os.path.join(work, 'serve.err')
        with open(err_path, 'w') as err:
            serve = subprocess.Popen([xatm, '--config', config,
                                      '--metrics-listen', address, 'serve'],
                                     stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 20
            while 'serve: started' not in open(err_path).read():
                if serve.poll() is not None or time.monotonic() > deadline:
                    sys.exit('check-metric-names: serve did not start:\n' +
                             open(err_path).read())
                time.sleep(0.1)
            with urllib.request.urlopen('http://%s/metrics' % address,
                                        timeout=5) as r:
                text = r.read().decode()
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                code = serve.wait(15)
            except subprocess.TimeoutExpired:
                serve.kill()
                code = serve.wait()
        if code != 0:
            sys.exit('check-metric-names: serve exited %d:\n%s' %
                     (code, open(err_path).read()))
        return text
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    args = sys.argv[1:]
    scrape_file = None
    if args and args[0] == '--scrape':
        scrape_file = args[1]
        args = args[2:]
    elif not args:
        sys.exit(__doc__)
    else:
        xatm = args.pop(0)
    root = os.path.abspath(args[0] if args else
                           os.path.join(os.path.dirname(__file__), '..'))
    self_test()
    dashboard = 'deploy/grafana/xatm-dashboard.json'
    rules = 'deploy/prometheus/xatm-rules.yml'
    uses = dashboard_exprs(root, dashboard)
    rule_uses, recorded = rules_exprs(root, rules)
    uses += rule_uses
    if scrape_file:
        with open(scrape_file, encoding='utf-8') as f:
            text = f.read()
    else:
        text = scrape_serve(xatm)
    served = parse_scrape(text)
    names = {n for _, e in uses for n, _ in selectors(e)} - recorded - {None}
    problems = check(uses, recorded, served)
    if not names:
        problems.append('no metric name found in %s or %s' % (dashboard, rules))
    for p in problems:
        print(p)
    if problems:
        print('check-metric-names: %d problem(s)' % len(problems))
        return 1
    def family(n):
        return re.sub(r'_(bucket|sum|count)$', '', n)
    shown = {family(n) for n in names}
    unused = sorted({family(n) for n in served
                     if n.startswith('xatm_') and family(n) not in shown})
    print('check-metric-names: the %d names of %d queries are served by %s '
          '(%d recording rules)' % (len(names), len(uses),
                                    scrape_file or 'xatm serve', len(recorded)))
    if unused:
        print('served but queried nowhere: ' + ', '.join(unused))
    return 0


if __name__ == '__main__':
    sys.exit(main())
