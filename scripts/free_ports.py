#!/usr/bin/env python3
"""Prints random free loopback ports for the benchmark scripts, below the ephemeral range.

  free_ports.py COUNT:LO:HI [COUNT:LO:HI ...]

For each argument, the first of COUNT consecutive ports in LO..HI-1 that are all free on 127.0.0.1,
distinct from the ports picked for the arguments before it; one line, space-separated. Exit 1 when
a range has no such run (after 200 tries). A port can still be taken between this check and its use:
the scripts retry a start that fails with "address in use".
"""
import random
import socket
import sys


def free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick(count, lo, hi, taken):
    for _ in range(200):
        base = random.randrange(lo, hi - count + 1)
        run = range(base, base + count)
        if not taken.intersection(run) and all(free(p) for p in run):
            taken.update(run)
            return base
    sys.exit("free_ports.py: no %d free consecutive ports in %d..%d" % (count, lo, hi - 1))


def main(specs):
    if not specs:
        sys.exit(__doc__)
    taken = set()
    bases = []
    for spec in specs:
        try:
            count, lo, hi = (int(x) for x in spec.split(":"))
        except ValueError:
            sys.exit("free_ports.py: expected COUNT:LO:HI, got %r" % spec)
        bases.append(pick(count, lo, hi, taken))
    print(" ".join(map(str, bases)))


if __name__ == "__main__":
    main(sys.argv[1:])
