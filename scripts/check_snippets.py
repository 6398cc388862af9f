#!/usr/bin/env python3
"""Check that every code snippet in the docs is a verbatim copy of a marked region of a compiled
file, so documentation cannot drift from code that builds and runs.

A doc marks a snippet with a comment line `<!-- snippet: PATH#NAME -->` right before a fenced
code block; PATH (relative to the repository root) must contain the region between two lines
`// [NAME]`, as it is or without its common indentation (a region inside a function may be
quoted from its first column). Exits non-zero and says which snippet differs.

usage: scripts/check_snippets.py ROOT DOC [DOC ...]
"""
import re
import sys
import textwrap
from pathlib import Path


def region(path, name):
    lines = path.read_text().splitlines()
    marks = [k for k, line in enumerate(lines) if line.strip() == f"// [{name}]"]
    if len(marks) != 2:
        return None
    return "\n".join(lines[marks[0] + 1:marks[1]])


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    root = Path(sys.argv[1])
    failures = checked = 0
    pattern = re.compile(r"<!-- snippet: (\S+)#(\S+) -->\n```\w*\n(.*?)\n```", re.S)
    for doc in sys.argv[2:]:
        text = (root / doc).read_text()
        if text.count("<!-- snippet:") != len(pattern.findall(text)):
            print(f"{doc}: a snippet marker is not followed by a fenced code block")
            failures += 1
        for path, name, quoted in pattern.findall(text):
            checked += 1
            source = root / path
            expected = region(source, name) if source.exists() else None
            if expected is None:
                print(f"{doc}: {path} has no region '// [{name}]' (exactly two marker lines)")
                failures += 1
            elif quoted not in (expected, textwrap.dedent(expected)):
                print(f"{doc}: snippet {path}#{name} differs from the code; copy the region again")
                failures += 1
    print(f"{checked} snippets checked, {failures} problems")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
