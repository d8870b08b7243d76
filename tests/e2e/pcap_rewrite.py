#!/usr/bin/python3
"""Rewrites a classic little-endian Ethernet pcap (what tcpdump -i lo writes)
for the capture tests: other link layers, and damaged captures.
usage: pcap_rewrite.py MODE IN OUT [PORT]
  null     BSD loopback (DLT_NULL) headers instead of Ethernet
  vlan     an 802.1Q tag in every frame
  sll2     Linux cooked v2 (DLT_LINUX_SLL2) headers
  reorder  two of the client's data segments swapped, one sent twice
  drop     one of the client's data segments left out (PORT: the service's)
  corrupt  one byte of the service's last-but-one data segment flipped
  cut      the file ends in the middle of its last packet
  rrc28    every sealed RFC 4121 Wrap token in a data frame re-sent as Windows
           sends it: right rotation count 28 (RFC 4121 4.2.5)
Not a test itself."""
import struct
import sys

mode, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(src, "rb").read()
hdr = bytearray(raw[:24])
assert struct.unpack("<I", raw[:4])[0] == 0xA1B2C3D4, "little-endian microsecond pcap expected"
pkts = []
off = 24
while off + 16 <= len(raw):
    ts, us, incl, orig = struct.unpack("<IIII", raw[off:off + 16])
    pkts.append([ts, us, raw[off + 16:off + 16 + incl]])
    off += 16 + incl


def tcp_info(frame):
    """(source port, destination port, payload length) of an Ethernet/IPv4|IPv6/TCP frame."""
    et = struct.unpack(">H", frame[12:14])[0]
    if et == 0x0800:
        ihl = (frame[14] & 15) * 4
        total = struct.unpack(">H", frame[16:18])[0]
        t = 14 + ihl
        plen = total - ihl
    else:
        t = 14 + 40
        plen = struct.unpack(">H", frame[18:20])[0]
    sp, dp = struct.unpack(">HH", frame[t:t + 4])
    return sp, dp, plen - (frame[t + 12] >> 4) * 4


def data_packets(to_service, port):
    out = []
    for i, (_, _, f) in enumerate(pkts):
        sp, dp, n = tcp_info(f)
        if n > 0 and ((dp == port) if to_service else (sp == port)):
            out.append(i)
    return out


if mode in ("null", "vlan", "sll2"):
    linktype = {"null": 0, "vlan": 1, "sll2": 276}[mode]
    struct.pack_into("<I", hdr, 20, linktype)
    for p in pkts:
        f = p[2]
        et = f[12:14]
        if mode == "null":
            fam = 2 if et == b"\x08\x00" else 10
            p[2] = struct.pack("<I", fam) + f[14:]
        elif mode == "vlan":
            p[2] = f[:12] + b"\x81\x00\x00\x07" + f[12:]
        else:
            p[2] = et + b"\x00\x00" + struct.pack(">I", 1) + b"\x00\x01\x00\x06" + f[:6] + b"\x00\x00" + f[14:]
elif mode in ("reorder", "drop", "corrupt"):
    port = int(sys.argv[4])
    c2s = data_packets(True, port)
    s2c = data_packets(False, port)
    if mode == "reorder":
        a, b = c2s[-3], c2s[-2]
        pkts[a], pkts[b] = pkts[b], pkts[a]
        pkts.insert(b + 1, list(pkts[b]))
    elif mode == "drop":
        del pkts[c2s[-2]]
    else:
        f = bytearray(pkts[s2c[-2]][2])
        f[-1] ^= 0x40
        pkts[s2c[-2]][2] = bytes(f)
elif mode == "rrc28":
    n = 0
    for p in pkts:
        f = bytearray(p[2])
        et = struct.unpack(">H", f[12:14])[0]
        t = 14 + ((f[14] & 15) * 4 if et == 0x0800 else 40)
        start = t + (f[t + 12] >> 4) * 4
        # a packet of whole data frames, each holding a sealed Wrap token (05 04, flags with Sealed 0x02)
        off, frames = start, []
        while off + 4 <= len(f):
            ln = struct.unpack("<I", f[off:off + 4])[0]
            if ln < 60 or off + 4 + ln > len(f) or f[off + 4:off + 6] != b"\x05\x04" or not f[off + 6] & 2:
                break
            frames.append((off + 4, ln))
            off += 4 + ln
        if off != len(f) or not frames:
            continue
        for o, ln in frames:
            rrc = struct.unpack(">H", f[o + 6:o + 8])[0]
            assert rrc == 0, "an RRC-0 token expected"
            body = f[o + 16:o + ln]
            f[o + 6:o + 8] = struct.pack(">H", 28)
            f[o + 16:o + ln] = body[-28:] + body[:-28]
            n += 1
        p[2] = bytes(f)
    assert n > 0, "no Wrap token found"
elif mode != "cut":
    sys.exit("unknown mode " + mode)

out = bytearray(hdr)
for ts, us, f in pkts:
    out += struct.pack("<IIII", ts, us, len(f), len(f)) + f
if mode == "cut":
    out = out[:-7]
open(dst, "wb").write(out)
