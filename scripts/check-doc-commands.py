#!/usr/bin/env python3
"""Runs the shell examples of README.md and docs/*.md as written, and
compares their output with the output the documentation shows.

  scripts/check-doc-commands.sh --xatm FILE [--group NAME]... [--skip NAME]...
                                [--list] [REPO_DIR]

Which blocks run. A fenced ```sh (or ```bash) block runs when the line
right before its opening fence is the HTML comment

  <!-- doc-run: GROUP -->            or   <!-- doc-run: GROUP setup=SETUP -->

(an HTML comment: the rendered page does not show it). Unmarked blocks never
run: installing packages, Docker, systemd, several hosts, long builds. The
blocks of one GROUP run in document order (README.md first, then docs/*.md
by name; top to bottom in a file) in one bash process, so variables, aliases
and the working directory carry from one block to the next, with
expand_aliases on and errexit: every command must exit 0 (write
`cmd || echo "exit $?"` for one that is meant to fail, and show that line).
setup= may appear on any one marker of the group; the default is none.

Where it runs. Each group gets a fresh throwaway directory under $TMPDIR
as its working directory, standing for the repository root: `scripts` (a
link to the repository's scripts/), `build/release/cli/xatm` and
`build/test/cli/xatm` (links to the --xatm binary), and `xatm` first on
PATH. The environment is the caller's without any XATM_* variable (a new
shell). Setups:
  none  nothing more.
  demo  scripts/demo.sh has run there: its own PostgreSQL and MariaDB in
        .xatm-demo/db, .xatm-demo/xatm.ini, the accounts and its two
        transfers (XATM_DEMO_DIR and XATM_DEMO_XATM point it at the
        throwaway directory and the --xatm binary: nothing is built).
Afterwards every server that scripts/db.sh started anywhere in the
directory (a DIR with pg/data or my/data) is stopped with `scripts/db.sh
stop DIR`, also after a failure or SIGINT/SIGTERM, and the directory is
removed: nothing is left in the repository.

Expected output. A fenced block without an info string (or ```text) that
follows a run block's closing fence, with nothing but blank lines between,
is the block's whole output, stdout and stderr together. It is compared
line by line, trailing blanks and trailing empty lines ignored, with this
wildcard rule and no other:
  - `...` inside a line matches any text within that line (also none);
  - a line that is only `...` matches any number of lines (also none);
  - the placeholder words stand for what changes from run to run:
      BEGIN_MS  digits (a gtrid's begin time, ms since the epoch)
      UNIQUE    16 hexadecimal digits (a gtrid's unique part)
      GTRID     a whole gtrid, xatm:... up to the next blank
Anything else is literal. Show only the stable lines of output that is not
deterministic, with `...` for the rest.

Prints FILE:LINE: what went wrong (a command's exit status and the output
so far, or the first differing line and a diff) and exits 1; exits 0 when
every group ran and matched; 2 for bad usage or a malformed marker.
"""
import argparse
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARKER = re.compile(r'^<!--\s*doc-run:\s*([A-Za-z0-9_-]+)'
                    r'(?:\s+setup=([A-Za-z0-9_-]+))?\s*-->\s*$')
FENCE = re.compile(r'^(\s*)(```+|~~~+)\s*([^`\s]*)')
RUN_LANGS = ('sh', 'bash')
OUTPUT_LANGS = ('', 'text')
SETUPS = ('none', 'demo')
PLACEHOLDERS = {
    'BEGIN_MS': r'[0-9]+',
    'UNIQUE': r'[0-9a-f]{16}',
    'GTRID': r'xatm:\S+',
}
GROUP_TIMEOUT_S = 150


class Block:
    """One marked sh block and the output the documentation shows after it."""

    def __init__(self, path, line, group, text):
        self.path = path        # relative to the repository
        self.line = line        # of the first command line
        self.group = group
        self.text = text        # list of lines
        self.expected = None    # list of lines, or None: output not shown
        self.expected_line = 0  # of the first expected line

    def where(self, offset=0):
        return f'{self.path}:{self.line + offset}'


class UsageError(Exception):
    pass


def parse(root, rel):
    """The marked blocks of one Markdown file, and each group's setup."""
    with open(os.path.join(root, rel), encoding='utf-8') as f:
        lines = f.read().split('\n')
    blocks, setups = [], {}
    i, pending = 0, None
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            pending = (m.group(1), m.group(2), i + 1)
            i += 1
            continue
        if 'doc-run' in line and line.lstrip().startswith('<!--'):
            raise UsageError(f'{rel}:{i + 1}: malformed marker: {line.strip()}'
                             ' (want <!-- doc-run: GROUP [setup=SETUP] -->)')
        f = FENCE.match(line)
        if not f:
            if pending:
                raise UsageError(f'{rel}:{pending[2]}: a doc-run marker must '
                                 'be right before a ```sh fence')
            i += 1
            continue
        indent, fence, lang = f.group(1), f.group(2), f.group(3)
        end = i + 1
        while end < len(lines) and not (
                lines[end].strip().startswith(fence[0] * len(fence)) and
                lines[end].strip().strip(fence[0]) == ''):
            end += 1
        if end == len(lines):
            raise UsageError(f'{rel}:{i + 1}: unterminated code block')
        if pending:
            group, setup, mline = pending
            pending = None
            if indent or lang not in RUN_LANGS:
                raise UsageError(f'{rel}:{mline}: a doc-run marker must be '
                                 'right before an unindented ```sh fence')
            if setup:
                if setup not in SETUPS:
                    raise UsageError(f'{rel}:{mline}: unknown setup {setup} '
                                     f'(one of {", ".join(SETUPS)})')
                if setups.get(group, setup) != setup:
                    raise UsageError(f'{rel}:{mline}: group {group} has two '
                                     'setups')
                setups[group] = setup
            block = Block(rel, i + 2, group, lines[i + 1:end])
            blocks.append(block)
            # The expected output: the next fence, blank lines between.
            j = end + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            g = FENCE.match(lines[j]) if j < len(lines) else None
            if g and not g.group(1) and g.group(3) in OUTPUT_LANGS:
                k = j + 1
                while k < len(lines) and lines[k].strip() != g.group(2):
                    k += 1
                if k == len(lines):
                    raise UsageError(f'{rel}:{j + 1}: unterminated code block')
                block.expected = lines[j + 1:k]
                block.expected_line = j + 2
                end = k
        i = end + 1
    if pending:
        raise UsageError(f'{rel}:{pending[2]}: a doc-run marker must be right '
                         'before a ```sh fence')
    return blocks, setups


def doc_files(root):
    files = ['README.md'] if os.path.exists(os.path.join(root,
                                                         'README.md')) else []
    docs = os.path.join(root, 'docs')
    if os.path.isdir(docs):
        files += sorted(os.path.join('docs', f) for f in os.listdir(docs)
                        if f.endswith('.md'))
    return files


def line_pattern(expected):
    """A regular expression for one expected line (the wildcard rule)."""
    words = '|'.join(re.escape(w) for w in PLACEHOLDERS)
    token = re.compile(r'(\.\.\.|\b(?:' + words + r')\b)')
    out = []
    for part in token.split(expected.rstrip()):
        if part == '...':
            out.append('.*')
        elif part in PLACEHOLDERS:
            out.append(PLACEHOLDERS[part])
        else:
            out.append(re.escape(part))
    return re.compile(''.join(out) + r'\Z')


def trim(lines):
    lines = [x.rstrip() for x in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def mismatch(expected, actual):
    """None when `actual` matches `expected`; else the index of the expected
    line where the longest partial match stopped."""
    memo = {}
    furthest = [0]

    def match(e, a):
        key = (e, a)
        if key in memo:
            return memo[key]
        furthest[0] = max(furthest[0], e)
        if e == len(expected):
            ok = a == len(actual)
        elif expected[e].strip() == '...':
            ok = any(match(e + 1, k) for k in range(a, len(actual) + 1))
        else:
            ok = a < len(actual) and bool(
                line_pattern(expected[e]).match(actual[a].rstrip())) and \
                match(e + 1, a + 1)
        memo[key] = ok
        return ok

    return None if match(0, 0) else min(furthest[0], len(expected) - 1)


def link(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.symlink(src, dst)


def server_dirs(top):
    """Every directory under `top` that scripts/db.sh made servers in."""
    found = []
    for d, dirs, _ in os.walk(top):
        if any(os.path.isdir(os.path.join(d, s, 'data'))
               for s in ('pg', 'my')):
            found.append(d)
            dirs[:] = []
            continue
        dirs[:] = [x for x in dirs if not os.path.islink(os.path.join(d, x))]
    return found


def stop_servers(root, top):
    for d in server_dirs(top):
        subprocess.run([os.path.join(root, 'scripts', 'db.sh'), 'stop', d],
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       check=False)


def run(cmd, **kwargs):
    """Runs `cmd` in a session of its own; (exit status, output), status
    None after GROUP_TIMEOUT_S. On a timeout or an interruption (SIGINT,
    SIGTERM) every process of that session is killed first."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, **kwargs)
    try:
        out, _ = p.communicate(timeout=GROUP_TIMEOUT_S)
        return p.returncode, out
    except BaseException as e:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            return None, ''
        raise


def clean_env(bin_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith('XATM_')}
    env['PATH'] = bin_dir + os.pathsep + env.get('PATH', '/usr/bin:/bin')
    return env


def show(text, limit=60):
    lines = text.rstrip('\n').split('\n') if text.strip() else []
    if len(lines) > limit:
        lines = lines[:limit] + [f'... ({len(lines) - limit} more lines)']
    if not lines:
        return '    (no output)'
    return '\n'.join('    | ' + x for x in lines)


def run_group(root, xatm, group, setup, blocks):
    """Runs one group; returns a list of problems (strings)."""
    top = tempfile.mkdtemp(prefix=f'xatm-doc-run-{group}.')
    os.chmod(top, 0o755)  # the PostgreSQL server runs as another user
    try:
        link(os.path.join(root, 'scripts'), os.path.join(top, 'scripts'))
        for b in ('build/release/cli/xatm', 'build/test/cli/xatm',
                  '.doc-run/bin/xatm'):
            link(xatm, os.path.join(top, b))
        env = clean_env(os.path.join(top, '.doc-run', 'bin'))
        if setup == 'demo':
            denv = dict(env, XATM_DEMO_DIR=os.path.join(top, '.xatm-demo'),
                        XATM_DEMO_XATM=xatm)
            rc, out = run([os.path.join(root, 'scripts', 'demo.sh')],
                          cwd=top, env=denv)
            if rc != 0:
                how = f'exited {rc}' if rc is not None else \
                    f'still running after {GROUP_TIMEOUT_S} s'
                return [f'{blocks[0].where()}: setup demo (scripts/demo.sh) '
                        f'{how}:\n{show(out)}']

        out_dir = os.path.join(top, '.doc-run')
        status = os.path.join(out_dir, 'status')
        script = ['shopt -s expand_aliases', 'set -eE',
                  f"trap 'echo \"$? $LINENO\" >{shlex.quote(status)}' ERR"]
        origin = {}  # script line -> (block index, offset)
        for n, b in enumerate(blocks):
            out = shlex.quote(os.path.join(out_dir, f'out.{n}'))
            script.append(f'exec >{out} 2>&1')
            for k, text in enumerate(b.text):
                script.append(text)
                origin[len(script)] = (n, k)
        script.append('exec >/dev/null 2>&1')
        path = os.path.join(out_dir, 'run.sh')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('\n'.join(script) + '\n')
        rc, early = run(['bash', '--noprofile', '--norc', path], cwd=top,
                        env=env)

        def output(n):
            try:
                with open(os.path.join(out_dir, f'out.{n}'),
                          encoding='utf-8', errors='replace') as f:
                    return f.read()
            except FileNotFoundError:
                return ''

        if rc is None:
            last = max((n for n in range(len(blocks)) if os.path.exists(
                os.path.join(out_dir, f'out.{n}'))), default=0)
            return [f'{blocks[last].where()}: group {group} still running '
                    f'after {GROUP_TIMEOUT_S} s:\n{show(output(last))}']
        if rc != 0:
            code, line = None, None
            if os.path.exists(status):
                with open(status, encoding='utf-8') as f:
                    code, line = (int(x) for x in f.read().split()[:2])
            n, k = origin.get(line, (len(blocks) - 1, None))
            b = blocks[n]
            where = b.where(k) if k is not None else b.where()
            cmd = b.text[k].strip() if k is not None else '(the block)'
            failure = [f'{where}: exit {code if code is not None else rc} '
                       f'from: {cmd}\n{show(early + output(n))}']
            done = n  # the blocks before it ran whole: compare them too
        else:
            failure, done = [], len(blocks)

        problems = []
        for n, b in enumerate(blocks[:done]):
            if b.expected is None:
                continue
            actual = trim(output(n).split('\n'))
            expected = trim(b.expected)
            at = mismatch(expected, actual)
            if at is None:
                continue
            diff = difflib.unified_diff(expected, actual,
                                        f'{b.path} (shown)', '(output)',
                                        lineterm='', n=2)
            problems.append(
                f'{b.path}:{b.expected_line + at}: the output of the block at '
                f'{b.where()} differs from the documentation (line: '
                f'{expected[at] if expected else ""!r}):\n' +
                '\n'.join('    ' + x for x in diff))
        return problems + failure
    finally:
        stop_servers(root, top)
        shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(
        description='Runs the marked shell examples of the documentation.')
    ap.add_argument('--xatm', help='the built xatm binary')
    ap.add_argument('--group', action='append', default=[],
                    help='run only this group (repeatable)')
    ap.add_argument('--skip', action='append', default=[],
                    help='do not run this group (repeatable)')
    ap.add_argument('--list', action='store_true',
                    help='list the marked blocks, run nothing')
    ap.add_argument('root', nargs='?', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..'))
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    groups, setups, order = {}, {}, []
    try:
        for rel in doc_files(root):
            blocks, file_setups = parse(root, rel)
            for b in blocks:
                if b.group not in groups:
                    groups[b.group] = []
                    order.append(b.group)
                groups[b.group].append(b)
            for g, s in file_setups.items():
                if setups.get(g, s) != s:
                    raise UsageError(f'{rel}: group {g} has two setups')
                setups[g] = s
    except UsageError as e:
        print(f'check-doc-commands: {e}', file=sys.stderr)
        return 2
    for g in args.group + args.skip:
        if g not in groups:
            print(f'check-doc-commands: no group {g} in the documentation',
                  file=sys.stderr)
            return 2
    chosen = [g for g in order if (not args.group or g in args.group) and
              g not in args.skip]

    if args.list:
        for g in chosen:
            for b in groups[g]:
                shown = f', output at line {b.expected_line}' \
                    if b.expected is not None else ''
                print(f'{b.where()}: {g} (setup {setups.get(g, "none")}, '
                      f'{len(b.text)} lines{shown})')
        return 0
    if not args.xatm or not os.access(args.xatm, os.X_OK):
        print('check-doc-commands: --xatm FILE: the built xatm binary is '
              'required', file=sys.stderr)
        return 2
    xatm = os.path.abspath(args.xatm)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f'signal {signum}')
    signal.signal(signal.SIGTERM, stop)

    failed = 0
    for g in chosen:
        start = time.monotonic()
        try:
            problems = run_group(root, xatm, g, setups.get(g, 'none'),
                                 groups[g])
        except KeyboardInterrupt:
            print(f'interrupted in group {g}: its servers stopped, its '
                  'directory removed', file=sys.stderr)
            return 130
        took = time.monotonic() - start
        n = len(groups[g])
        if problems:
            failed += 1
            for p in problems:
                print(p)
            print(f'FAILED group {g} ({n} blocks, {took:.1f} s)')
        else:
            print(f'ok group {g} ({n} blocks, {took:.1f} s)')
    if failed:
        print(f'{failed} of {len(chosen)} groups failed')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
