#!/usr/bin/env python3
"""Lists C++ functions longer than a limit (default 60 lines, braces included).

A function is a line at column 0 that opens with `{` after a signature, up to the `}` at column
0 that closes it (the project's clang-format puts both there). Usage:
    scripts/function-lengths.py [--limit N] [--check] [paths...]
With --check, exits 1 when a function outside the allow-list is too long.
"""
import argparse
import pathlib
import sys

# Functions that are tables, not logic: one row per setting or case.
ALLOWED = {
    ("server/core/config.cpp", "settings"),
}

def functions(path):
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    i = 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            # The signature: the lines above, back to a blank line or a line ending in ; } or */
            j = i - 1
            while j > 0 and lines[j - 1].strip() and not lines[j - 1].rstrip().endswith((";", "}", "*/", "{")) \
                    and not lines[j - 1].startswith(("//", "#")):
                j -= 1
            signature = " ".join(l.strip() for l in lines[j:i])
            end = i + 1
            while end < len(lines) and lines[end] != "}":
                end += 1
            if "(" in signature and not signature.startswith(("namespace", "struct", "class", "enum")):
                name = signature.split("(")[0].split()[-1] if signature.split("(")[0].split() else "?"
                yield name.split("::")[-1].lstrip("&*"), i + 1, end - i + 1
            i = end
        i += 1

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("paths", nargs="*", default=["server", "common", "client-desktop", "bench"])
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    too_long = []
    for base in args.paths:
        for path in sorted((root / base).rglob("*.cpp")):
            rel = path.relative_to(root).as_posix()
            for name, line, length in functions(path):
                if length > args.limit and (rel, name) not in ALLOWED:
                    too_long.append((length, rel, line, name))
    for length, rel, line, name in sorted(too_long, reverse=True):
        print(f"{rel}:{line}: {name}() is {length} lines")
    if args.check and too_long:
        print(f"{len(too_long)} functions are longer than {args.limit} lines", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
