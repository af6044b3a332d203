#!/usr/bin/env python3
# The include graph of vmm/ (and what it includes elsewhere), by "room":
# a room is a directory (vmm/mmu, vmm/vmx, vmm/dev, vmm/loader, vmm/),
# and a room depends on another when one of its files includes one of the
# other's. Prints the room-level edges, any cycle among rooms, and any
# cycle among the files of vmm/ themselves (a header including, through a
# chain, itself or the header that includes it). Exits non-zero on a cycle.
#
#   tests/tools/include_graph.py [--files]
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def files_under(top):
    for d, _, names in os.walk(os.path.join(ROOT, top)):
        for n in names:
            if n.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, n), ROOT)


def room(path):
    d = os.path.dirname(path)
    return d if d.startswith("vmm") else d.split("/")[0]


def includes(path):
    with open(os.path.join(ROOT, path), errors="replace") as f:
        return [i for i in INC.findall(f.read())
                if os.path.exists(os.path.join(ROOT, i))]


def cycles(graph):
    """Every elementary cycle's nodes, found by DFS (small graphs)."""
    found, seen = [], set()

    def dfs(node, stack, on):
        for nxt in sorted(graph.get(node, ())):
            if nxt in on:
                cyc = stack[stack.index(nxt):]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append(cyc + [nxt])
            elif len(stack) < 12:
                on.add(nxt)
                dfs(nxt, stack + [nxt], on)
                on.discard(nxt)

    for n in sorted(graph):
        dfs(n, [n], {n})
    return found


def main():
    vmm = sorted(files_under("vmm"))
    rooms, fgraph = {}, {}
    for f in vmm:
        for i in includes(f):
            if room(i) != room(f):
                rooms.setdefault(room(f), set()).add(room(i))
            # File-level graph, headers only, a .c file stands for itself.
            if i.startswith("vmm/") and i.endswith(".h"):
                fgraph.setdefault(f, set()).add(i)
    # A header "is" its .c for file cycles: x.h -> y.h and y.c -> x.h.
    print("rooms and what they include:")
    for r in sorted(rooms):
        print("  %-12s -> %s" % (r, " ".join(sorted(rooms[r]))))
    vmm_rooms = {r: {d for d in ds if d.startswith("vmm")}
                 for r, ds in rooms.items() if r.startswith("vmm")}
    bad = 0
    for c in cycles(vmm_rooms):
        print("room cycle: " + " -> ".join(c))
        bad += 1
    for c in cycles(fgraph):
        print("header cycle: " + " -> ".join(c))
        bad += 1
    mods = {}
    for f in vmm:
        m = os.path.splitext(f)[0]
        for i in includes(f):
            mi = os.path.splitext(i)[0]
            if (i.startswith("vmm/") and mi != m and
                    os.path.exists(os.path.join(ROOT, mi + ".c"))):
                mods.setdefault(m, set()).add(mi)
    for c in cycles(mods):
        print("module cycle: " + " -> ".join(c))
        bad += 1
    print("%d cycle(s)" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
