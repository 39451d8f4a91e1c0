#!/usr/bin/env python3
"""The checks of scripts/check-cli-docs.sh.

From the code:
  commands      cli/command_table.cc lists the factories (InitCommand(), ...);
                cli/commands/commands.h names each one's file; the file's
                `return {"NAME", ...}` is the command's name.
  options       in that file, the names declared by spec.options.add_options()
                ("name", po::...) and --json when it calls AddJsonOption(spec)
                (spec.hidden holds positionals, which are not options).
  global        GlobalOptions() in cli/command_line.cc.
  config keys   the std::set<std::string> literals of adapters/config/config.cc: the
                top-level keys and those of [resource.NAME].

In the man page: a `.SS` heading per command whose first word is its name,
each option in that command's text, the global options under GLOBAL OPTIONS
and each configuration key as a `.B KEY` line under CONFIGURATION FILE.
In the completion: `local commands="..."`, `local global_opts="..."` and one
`NAME) opts="..." ;;` line per command, exactly the code's options.
"""
import os
import re
import shutil
import subprocess
import sys

MAN = "docs/man/xatm.1"
COMPLETION = "scripts/completion/xatm.bash"


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def tokens(text):
    """C++ text as (kind, value): 'str' for a string literal, 'code' for
    anything else, so that ';' or '(' inside a string is not code."""
    out, i, code = [], 0, []
    while i < len(text):
        c = text[i]
        if c == '"':
            if code:
                out.append(("code", "".join(code)))
                code = []
            j, s = i + 1, []
            while text[j] != '"':
                if text[j] == "\\":
                    s.append(text[j + 1])
                    j += 2
                else:
                    s.append(text[j])
                    j += 1
            out.append(("str", "".join(s)))
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                i = len(text)
        else:
            code.append(c)
            i += 1
    if code:
        out.append(("code", "".join(code)))
    return out


def declared_options(text, start_marker):
    """Option names in the add_options() chains that begin with
    `start_marker`, up to the ';' that ends each statement."""
    names = []
    toks = tokens(text)
    k = 0
    while k < len(toks):
        kind, value = toks[k]
        if kind == "code" and start_marker in value:
            tail = value[value.index(start_marker) + len(start_marker):]
            chain = [("code", tail)]
            if ";" not in tail:
                k += 1
                while k < len(toks):
                    kind2, value2 = toks[k]
                    if kind2 == "code" and ";" in value2:
                        chain.append(("code", value2[: value2.index(";")]))
                        break
                    chain.append(toks[k])
                    k += 1
            # An option name: a string right after '(' and before ','.
            for n in range(1, len(chain) - 1):
                before, lit, after = chain[n - 1], chain[n], chain[n + 1]
                if (lit[0] == "str" and before[0] == "code" and after[0] == "code"
                        and before[1].rstrip().endswith("(")
                        and after[1].lstrip().startswith(",")):
                    names.append(lit[1])
        k += 1
    return names


def long_options(names):
    out = []
    for n in names:
        parts = n.split(",")
        out.append("--" + parts[0])
        if len(parts) > 1:
            out.append("-" + parts[1])
    return out


def code_model(root, problems):
    table = read(root, "cli/command_table.cc")
    body = re.search(r"table\s*=\s*\{(.*?)\};", table, re.S)
    factories = re.findall(r"(\w+Command)\(\)", body.group(1)) if body else []
    if not factories:
        problems.append("cli/command_table.cc: no command found in the table")
    header = read(root, "cli/commands/commands.h")
    files = dict(re.findall(r"Command (\w+)\(\);\s*//\s*(\S+\.cc)", header))
    commands = {}  # name -> options, in table order
    for factory in factories:
        if factory not in files:
            problems.append(f"cli/commands/commands.h: no file named for {factory}()")
            continue
        path = "cli/commands/" + files[factory]
        text = read(root, path)
        m = re.search(r"Command " + factory + r"\(\)\s*\{\s*return\s*\{\s*\"([^\"]+)\"", text)
        if not m:
            problems.append(f"{path}: cannot find the name {factory}() returns")
            continue
        options = long_options(declared_options(text, "spec.options.add_options()"))
        if re.search(r"AddJsonOption\(\s*spec\s*\)", text):
            options.append("--json")
        commands[m.group(1)] = options
    global_text = read(root, "cli/command_line.cc")
    g = re.search(r"GlobalOptions\(\)\s*\{(.*?)return options;", global_text, re.S)
    global_opts = long_options(declared_options(g.group(1), "add_options()")) if g else []
    if "--config" not in global_opts:
        problems.append("cli/command_line.cc: cannot read the global options")
    config = read(root, "adapters/config/config.cc")
    keys = []
    for m in re.finditer(r"std::set<std::string>\s+\w+\s*=\s*\{(.*?)\};", config, re.S):
        keys += re.findall(r"\"([a-z_]+)\"", m.group(1))
    if "node" not in keys or "type" not in keys:
        problems.append("adapters/config/config.cc: cannot read the configuration keys")
    return commands, global_opts, keys


def man_text(raw):
    """Roff escapes that matter here, undone: \\- \\f? \\(aq \\e."""
    s = re.sub(r"\\f[BIRP]", "", raw)
    return s.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")


def man_sections(raw):
    sections, name = {}, None
    for line in raw.splitlines():
        m = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            name = m.group(1).strip()
            sections[name] = []
        elif name is not None:
            sections[name].append(line)
    return sections


def has_option(text, option):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def check_man(root, commands, global_opts, keys, problems):
    sections = man_sections(read(root, MAN))
    for needed in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS",
                   "CONFIGURATION FILE", "EXIT STATUS", "ENVIRONMENT", "FILES",
                   "EXAMPLES", "SEE ALSO"):
        if needed not in sections:
            problems.append(f"{MAN}: no section {needed}")
    blocks, current = {}, None
    for line in sections.get("COMMANDS", []):
        m = re.match(r'\.SS\s+"?(.*?)"?\s*$', line)
        if m:
            current = man_text(m.group(1)).split()[0] if m.group(1).strip() else None
            blocks.setdefault(current, [])
            blocks[current].append(man_text(m.group(1)))
        elif current is not None:
            blocks[current].append(man_text(line))
    for name, options in commands.items():
        if name not in blocks:
            problems.append(f"{MAN}: command '{name}' is missing (a .SS {name} under COMMANDS)")
            continue
        text = "\n".join(blocks[name])
        for option in options:
            if not has_option(text, option):
                problems.append(f"{MAN}: option {option} of '{name}' is missing")
    for name in blocks:
        if name not in commands:
            problems.append(f"{MAN}: command '{name}' is not in cli/command_table.cc")
    text = man_text("\n".join(sections.get("GLOBAL OPTIONS", [])))
    for option in global_opts:
        if not has_option(text, option):
            problems.append(f"{MAN}: global option {option} is missing under GLOBAL OPTIONS")
    lines = [man_text(l).strip() for l in sections.get("CONFIGURATION FILE", [])]
    for key in keys:
        if f".B {key}" not in lines:
            problems.append(f"{MAN}: configuration key '{key}' is missing "
                            f"(a .B {key} line under CONFIGURATION FILE)")


def check_completion(root, commands, global_opts, problems):
    text = read(root, COMPLETION)
    m = re.search(r'local commands="([^"]*)"', text)
    listed = m.group(1).split() if m else []
    if not m:
        problems.append(f'{COMPLETION}: no local commands="..."')
    m = re.search(r'local global_opts="([^"]*)"', text)
    listed_global = m.group(1).split() if m else []
    for option in global_opts:
        if option not in listed_global:
            problems.append(f"{COMPLETION}: global option {option} is missing from global_opts")
    arms = {n: o.split() for n, o in re.findall(r'^\s*([a-z][a-z-]*)\)\s*opts="([^"]*)"', text, re.M)}
    for name, options in commands.items():
        if name not in listed:
            problems.append(f"{COMPLETION}: command '{name}' is missing from commands")
        if name not in arms:
            problems.append(f'{COMPLETION}: no line {name}) opts="..." ;;')
            continue
        for option in options:
            if option not in arms[name]:
                problems.append(f"{COMPLETION}: option {option} of '{name}' is missing")
        for option in arms[name]:
            if option not in options:
                problems.append(f"{COMPLETION}: option {option} of '{name}' is not in the code")
    for name in listed:
        if name not in commands:
            problems.append(f"{COMPLETION}: command '{name}' is not in cli/command_table.cc")


def check_tools(root, problems):
    man = os.path.join(root, MAN)
    if shutil.which("groff"):
        run = subprocess.run(["groff", "-man", "-ww", "-z", man],
                             capture_output=True, text=True)
        label = "groff -man -ww -z"
    elif shutil.which("man"):
        run = subprocess.run(["man", "--warnings", "-l", man],
                             capture_output=True, text=True,
                             env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
        label = "man --warnings"
    else:
        run, label = None, None
        problems.append(f"{MAN}: cannot check how it renders: groff is not "
                        "installed (apt-get install groff-base)")
    if run is not None:
        out = (run.stderr or "").strip()
        if run.returncode != 0 or out:
            problems.append(f"{MAN}: {label} warns: {out or 'exit ' + str(run.returncode)}")
    if shutil.which("shellcheck"):
        run = subprocess.run(["shellcheck", "-s", "bash", os.path.join(root, COMPLETION)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"{COMPLETION}: shellcheck: {run.stdout.strip()}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = []
    commands, global_opts, keys = code_model(root, problems)
    check_man(root, commands, global_opts, keys, problems)
    check_completion(root, commands, global_opts, problems)
    check_tools(root, problems)
    if problems:
        for p in problems:
            print("check-cli-docs: " + p, file=sys.stderr)
        print(f"check-cli-docs: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check-cli-docs: {len(commands)} commands, "
          f"{sum(len(o) for o in commands.values())} command options, "
          f"{len(global_opts)} global options, {len(keys)} configuration keys: "
          "man page and completion complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
