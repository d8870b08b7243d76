#!/usr/bin/env python3
"""Hostile and broken net.tcp peers for the reliability tests (not a test
itself). Each mode listens on a free 127.0.0.1 port, writes the port to
PORTFILE and serves connections until killed.

  replay PORTFILE TARGET_PORT N    a proxy to TARGET_PORT that sends the
                                   service's N-th NegotiateStream data frame
                                   (0: PreambleAck) twice
  handshake PORTFILE HEX           a service that answers the upgrade request
                                   (UpgradeResponse), reads the client's first
                                   handshake message and sends the bytes HEX
  silent PORTFILE                  accepts, reads and never answers
  acksilent PORTFILE               (security none) acknowledges the preamble,
                                   then reads and never answers
  late PORTFILE DELAY CLOSE        answers the upgrade request after DELAY
                                   seconds, then says nothing more and closes
                                   the connection CLOSE seconds after it began
"""
import os
import socket
import sys
import threading
import time


def listen(portfile):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    return s


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def read_until_upgrade_request(c):
    """Reads the preamble up to the end of the UpgradeRequest record (0x09)."""
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            raise EOFError
        buf += d
        # version(3) mode(2) via(1+len) encoding(2) upgrade(1+len)
        i = 5
        if len(buf) < i + 2:
            continue
        vl, k = varint(buf, i + 1)
        if k is None:
            continue
        i = k + vl
        if len(buf) < i + 2:
            continue
        i += 2
        if len(buf) < i + 2 or buf[i] != 0x09:
            continue
        ul, k = varint(buf, i + 1)
        if k is None or len(buf) < k + ul:
            continue
        return buf[k + ul:]


def varint(b, i):
    v = shift = 0
    while i < len(b):
        v |= (b[i] & 0x7F) << shift
        i += 1
        if not b[i - 1] & 0x80:
            return v, i
        shift += 7
    return 0, None


def handshake(portfile, hexbytes):
    s = listen(portfile)
    answer = bytes.fromhex(hexbytes)
    while True:
        c, _ = s.accept()
        try:
            rest = read_until_upgrade_request(c)
            c.sendall(b"\x0a")
            while len(rest) < 5:
                rest += recv_exact(c, 5 - len(rest))
            need = 5 + (rest[3] << 8 | rest[4]) - len(rest)
            if need > 0:
                recv_exact(c, need)
            c.sendall(answer)
            c.settimeout(10)
            while c.recv(4096):
                pass
        except (EOFError, OSError):
            pass
        c.close()


def acksilent(portfile):
    s = listen(portfile)
    conns = []
    while True:
        c, _ = s.accept()
        buf = b""
        try:
            while True:  # version(3) mode(2) via(1+len) encoding(2) PreambleEnd(1)
                buf += c.recv(4096) or b""
                vl, k = varint(buf, 6)
                if k is not None and len(buf) >= k + vl + 3 and buf[k + vl + 2] == 0x0C:
                    break
            c.sendall(b"\x0b")
        except OSError:
            pass
        conns.append(c)  # kept open, never answered


def silent(portfile):
    s = listen(portfile)
    conns = []
    while True:
        c, _ = s.accept()
        conns.append(c)  # kept open, never answered


def late(portfile, delay, close_after):
    s = listen(portfile)

    def serve(c):
        t0 = time.monotonic()
        try:
            read_until_upgrade_request(c)
            time.sleep(max(0.0, delay - (time.monotonic() - t0)))
            c.sendall(b"\x0a")
            time.sleep(max(0.0, close_after - (time.monotonic() - t0)))
        except (EOFError, OSError):
            pass
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def replay(portfile, target, n):
    s = listen(portfile)

    def up(c, t):
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                t.sendall(d)
        except OSError:
            pass
        try:
            t.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def down(t, c):
        """service -> client: UpgradeResponse, handshake messages up to the
        service's HandshakeDone, then data frames; frame n goes twice."""
        try:
            c.sendall(recv_exact(t, 1))  # UpgradeResponse
            while True:
                h = recv_exact(t, 5)
                body = recv_exact(t, h[3] << 8 | h[4])
                c.sendall(h + body)
                if h[0] in (0x14, 0x15):
                    break
            i = 0
            while True:
                h = recv_exact(t, 4)
                frame = h + recv_exact(t, int.from_bytes(h, "little"))
                c.sendall(frame)
                if i == n:
                    c.sendall(frame)
                i += 1
        except (EOFError, OSError):
            pass
        try:
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    while True:
        c, _ = s.accept()
        t = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=up, args=(c, t), daemon=True).start()
        threading.Thread(target=down, args=(t, c), daemon=True).start()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "replay":
        replay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "handshake":
        handshake(sys.argv[2], sys.argv[3])
    elif mode == "acksilent":
        acksilent(sys.argv[2])
    elif mode == "silent":
        silent(sys.argv[2])
    elif mode == "late":
        late(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit("unknown mode " + mode)
