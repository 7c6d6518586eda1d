#!/usr/bin/env python3
"""What zero-copy would buy the hit path: the sender's CPU per response for writev (headers and body
copied from memory, as the node does) against sendfile (the body from a file, as nginx sends its cache
files), over loopback TCP. The file lives in --dir (default target/, a disk file system's page cache
as nginx's cache directory; /dev/shm is tmpfs, whose sendfile path differs). Python 3 standard library only; Linux.

  scripts/bench_zerocopy.py [--bytes 102400] [--count 20000] [--rounds 3] [--dir target]

The sender runs pinned to CPU 1 and a forked reader drains the socket pinned to CPU 0, as in
scripts/bench.sh. The sender's user and system time per response includes the loopback delivery into
the reader's socket, which the kernel does in the sender's system call. Methods alternate, --rounds
each; the script prints every round and the medians. Every loop is bounded by --count and by a 60 s
deadline; the reader is a child process, waited for by its PID (and killed by it if it hangs).
"""
import argparse
import os
import resource
import signal
import socket
import statistics
import sys
import tempfile
import time

HEADER = b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: %d\r\n\r\n"
DEADLINE_S = 60


def reader(port, total):
    os.sched_setaffinity(0, {0})
    c = socket.create_connection(("127.0.0.1", port))
    buf = bytearray(1 << 18)
    got, end = 0, time.monotonic() + DEADLINE_S
    while got < total and time.monotonic() < end:
        n = c.recv_into(buf)
        if n == 0:
            break
        got += n
    os._exit(0 if got >= total else 1)


def one_round(method, body, path, count):
    header = HEADER % len(body)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        listener.close()
        reader(port, count * (len(header) + len(body)))
    try:
        s, _ = listener.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fd = os.open(path, os.O_RDONLY)
        r0, t0, end = resource.getrusage(resource.RUSAGE_SELF), time.monotonic(), time.monotonic() + DEADLINE_S
        sent = 0
        for _ in range(count):
            if time.monotonic() > end:
                break
            if method == "writev":
                message = [header, body]
                done = s.sendmsg(message)
                if done < len(header) + len(body):  # partial: send the rest
                    s.sendall((header + body)[done:])
            else:
                s.sendall(header)
                off = 0
                while off < len(body):
                    off += os.sendfile(s.fileno(), fd, off, len(body) - off)
            sent += 1
        r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        os.close(fd)
        s.close()
    finally:
        deadline, reaped = time.monotonic() + 10, False
        while not reaped and time.monotonic() < deadline:
            reaped = os.waitpid(pid, os.WNOHANG)[0] == pid
            if not reaped:
                time.sleep(0.05)
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        listener.close()
    us = 1e6 / max(sent, 1)
    return {"user": (r1.ru_utime - r0.ru_utime) * us, "sys": (r1.ru_stime - r0.ru_stime) * us,
            "wall": (t1 - t0) * us, "sent": sent}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bytes", type=int, default=102400)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dir", default="target", help="where the file to send lives")
    a = p.parse_args()
    if not hasattr(os, "sendfile") or os.cpu_count() < 2:
        print("needs Linux with at least 2 CPUs", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {1})
    body = os.urandom(a.bytes)
    with tempfile.NamedTemporaryFile(dir=a.dir, prefix="gencache-zc-") as f:
        f.write(body)
        f.flush()
        results = {"writev": [], "sendfile": []}
        for i in range(a.rounds):
            for method in results:
                r = one_round(method, body, f.name, a.count)
                results[method].append(r)
                print("round %d %-8s %d x %d B: sender CPU %.1f us/response (user %.1f, sys %.1f), wall %.1f us"
                      % (i + 1, method, r["sent"], a.bytes, r["user"] + r["sys"], r["user"], r["sys"], r["wall"]),
                      flush=True)
    for method, rs in results.items():
        print("median %-8s sender CPU %.1f us/response, wall %.1f us"
              % (method, statistics.median(r["user"] + r["sys"] for r in rs), statistics.median(r["wall"] for r in rs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
