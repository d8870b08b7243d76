#!/usr/bin/python3
"""An independent NTLM initiator (impacket) over MC-NMF + MS-NNS, for
impacket_ntlm.sh: sends impacket's own NEGOTIATE (32 bytes, no Version field)
to a net.tcp service, answers its CHALLENGE, and prints what came back:
"negotiate N bytes", "challenge", then "done" (HandshakeDone) or
"error 0xCODE" (HandshakeError)."""
import socket
import struct
import sys

from impacket import ntlm


def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return b


def size(n):  # MC-NMF 2.2.2 multi-byte int31
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def handshake_msg(s):  # MS-NNS 2.2.1: id, version 1.0, big-endian size
    hdr = read_exact(s, 5)
    mid, ln = hdr[0], struct.unpack(">H", hdr[3:5])[0]
    return mid, read_exact(s, ln)


def main():
    port, via, user, password, domain = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    upgrade = b"application/negotiate"
    s.sendall(b"\x00\x01\x00" + b"\x01\x02" + b"\x02" + size(len(via)) + via.encode() + b"\x03\x08"
              + b"\x09" + size(len(upgrade)) + upgrade)
    if read_exact(s, 1) != b"\x0a":
        print("no upgrade response")
        return 1
    neg = ntlm.getNTLMSSPType1("", "", signingRequired=True)
    tok = neg.getData()
    print("negotiate %d bytes" % len(tok))
    s.sendall(b"\x16\x01\x00" + struct.pack(">H", len(tok)) + tok)
    mid, chal = handshake_msg(s)
    if mid != 0x16:
        print("error 0x%s" % chal.hex() if mid == 0x15 else "unexpected 0x%02x" % mid)
        return 0
    print("challenge")
    auth, _ = ntlm.getNTLMSSPType3(neg, chal, user, password, domain)
    tok = auth.getData()
    s.sendall(b"\x14\x01\x00" + struct.pack(">H", len(tok)) + tok)
    mid, payload = handshake_msg(s)
    print("done" if mid == 0x14 else "error 0x%s" % payload.hex() if mid == 0x15 else "unexpected 0x%02x" % mid)
    s.close()
    return 0


sys.exit(main())
