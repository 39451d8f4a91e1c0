#!/usr/bin/env python3
"""Checks the repository's documentation links and the file names in comments.

  scripts/check-links.sh [REPO_DIR]

1. Every relative link in every tracked *.md file ([text](path),
   [text](path#anchor), [text](#anchor)): the file exists, and the anchor is
   a heading of that file under GitHub's rules (lowercase; spaces become
   '-'; punctuation other than '-' and '_' is dropped; a repeated heading
   gets -1, -2, ...). Links to http(s) are not fetched, only checked to be
   well-formed.
2. Every comment in tracked *.h, *.cc, *.sh and CMakeLists.txt files that
   names a repository path (tm/..., adapters/..., cli/..., recovery/...,
   tests/..., sql/..., scripts/..., include/..., examples/..., docs/...)
   names one that exists. A path with a '*' names a pattern: some file
   must match it.

Prints file:line: link -> why for each problem and exits 1; exits 0 when
everything holds.
"""
import fnmatch
import os
import re
import subprocess
import sys
from urllib.parse import unquote, urlparse

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..'))

PREFIXES = ('tm', 'adapters', 'cli', 'recovery', 'tests', 'sql', 'scripts',
            'include', 'examples', 'docs')


def tracked(patterns):
    """The tracked files matching `patterns` (every file outside build/ and
    dot-directories when ROOT is not a git checkout)."""
    try:
        out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-z', '--cached',
                              '--others', '--exclude-standard', '--'] +
                             patterns, check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        return [p for p in out.decode().split('\0')
                if p and os.path.exists(os.path.join(ROOT, p))]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, files in os.walk(ROOT):
            dirs[:] = [x for x in dirs if not x.startswith('.') and
                       not (d == ROOT and x == 'build')]
            for f in files:
                rel = os.path.relpath(os.path.join(d, f), ROOT)
                if not patterns or any(fnmatch.fnmatch(rel, p)
                                       for p in patterns):
                    found.append(rel)
        return sorted(found)


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r'<[^>]+>', '', heading)             # inline HTML
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)  # links: their text
    text = text.strip().lower()
    text = ''.join(c for c in text
                   if c.isalnum() or c in '-_ ' or ord(c) > 127 and c.isalpha())
    return text.replace(' ', '-')


FENCE = re.compile(r'^\s{0,3}(```|~~~)')
HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')


def markdown_lines(path):
    """(line number, text) of the lines outside fenced code blocks."""
    fence = None
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            m = FENCE.match(line)
            if m:
                if fence is None:
                    fence = m.group(1)
                elif m.group(1) == fence:
                    fence = None
                continue
            if fence is None:
                yield n, line.rstrip('\n')


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen = {}
        result = set()
        for _, line in markdown_lines(path):
            m = HEADING.match(line)
            if not m:
                continue
            base = slug(m.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else '%s-%d' % (base, count))
        _anchors[path] = result
    return _anchors[path]


# [text](target) or [text](target "title"); code spans are removed first.
LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)')
CODE_SPAN = re.compile(r'(`+)(.+?)\1')


def check_markdown(problems):
    for rel in tracked(['*.md']):
        path = os.path.join(ROOT, rel)
        for n, line in markdown_lines(path):
            line = CODE_SPAN.sub('', line)
            for m in LINK.finditer(line):
                target = m.group(1)
                where = '%s:%d: %s' % (rel, n, target or '(empty)')
                if not target:
                    problems.append(where + ' -> empty link')
                    continue
                scheme = urlparse(target).scheme
                if scheme in ('http', 'https'):
                    u = urlparse(target)
                    if not u.netloc or ' ' in target:
                        problems.append(where + ' -> malformed URL')
                    continue
                if scheme == 'mailto':
                    continue
                if scheme:
                    problems.append(where + ' -> unknown scheme ' + scheme)
                    continue
                file_part, _, anchor = target.partition('#')
                file_part = unquote(file_part)
                if file_part:
                    dest = os.path.normpath(
                        os.path.join(os.path.dirname(path), file_part))
                    if not dest.startswith(ROOT + os.sep) and dest != ROOT:
                        problems.append(where + ' -> outside the repository')
                        continue
                    if not os.path.exists(dest):
                        problems.append(where + ' -> no such file ' +
                                        os.path.relpath(dest, ROOT))
                        continue
                else:
                    dest = path
                if anchor:
                    if not dest.endswith('.md') or os.path.isdir(dest):
                        problems.append(where + ' -> anchor on a file that '
                                        'is not markdown')
                    elif unquote(anchor) not in anchors(dest):
                        problems.append(
                            where + ' -> no heading #%s in %s' %
                            (anchor, os.path.relpath(dest, ROOT)))


# A path in a comment: a known top directory, then name parts, ending in a
# file name with an extension (or a '*' pattern).
PATH = re.compile(r'(?<![\w./-])((?:%s)/[\w.*+-]+(?:/[\w.*+-]+)*\.[\w*]+)' %
                  '|'.join(PREFIXES))


def comments(rel, text):
    """(line number, comment text) of the file's comments."""
    if rel.endswith(('.sh', 'CMakeLists.txt')) or rel.endswith('.cmake'):
        for n, line in enumerate(text.split('\n'), 1):
            # A '#' that starts a comment: at the start or after a blank,
            # outside quotes (approximately: enough for path names).
            m = re.search(r'(?:^|\s)#(.*)$', line)
            if m and not line.lstrip().startswith('#!'):
                yield n, m.group(1)
        return
    # C++: // to the end of the line, and /* ... */.
    n = 1
    i = 0
    in_string = None
    while i < len(text):
        c = text[i]
        if in_string:
            if c == '\\':
                i += 2
                continue
            if c == in_string or c == '\n':
                in_string = None
        elif c in '"\'':
            # A raw string or a char literal is close enough to skip.
            in_string = c
        elif text.startswith('//', i):
            end = text.find('\n', i)
            end = len(text) if end < 0 else end
            yield n, text[i + 2:end]
            i = end
            continue
        elif text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = len(text) if end < 0 else end
            body = text[i + 2:end]
            for k, part in enumerate(body.split('\n')):
                yield n + k, part
            n += body.count('\n')
            i = end + 2
            continue
        if c == '\n':
            n += 1
        i += 1


def check_comments(problems):
    files = [f for f in tracked(['*.h', '*.cc', '*.sh', '*CMakeLists.txt'])]
    all_files = tracked([])
    for rel in files:
        with open(os.path.join(ROOT, rel), encoding='utf-8',
                  errors='replace') as f:
            text = f.read()
        for n, comment in comments(rel, text):
            for m in PATH.finditer(comment):
                name = m.group(1).rstrip('.')
                # NAME in cli/commands/NAME.cc is a placeholder: any name.
                name = re.sub(r'(?<![A-Za-z])[A-Z][A-Z_]+(?![A-Za-z])', '*', name)
                if '*' in name:
                    if not any(fnmatch.fnmatch(f, name) for f in all_files):
                        problems.append('%s:%d: %s -> no file matches' %
                                        (rel, n, name))
                elif not os.path.exists(os.path.join(ROOT, name)):
                    problems.append('%s:%d: %s -> no such file' %
                                    (rel, n, name))


def main():
    problems = []
    check_markdown(problems)
    check_comments(problems)
    if problems:
        print('check-links: %d broken:' % len(problems), file=sys.stderr)
        for p in problems:
            print('  ' + p, file=sys.stderr)
        return 1
    print('check-links: every link, anchor and file named in comments exists')
    return 0


if __name__ == '__main__':
    sys.exit(main())
