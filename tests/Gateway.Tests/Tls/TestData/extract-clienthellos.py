#!/usr/bin/env python3
"""Prints the client's first bytes (the ClientHello's TLS records) of TCP streams in a capture.

Used once to build ja4-vectors.txt from the captures of FoxIO-LLC/ja4 (pcap/); kept so the
vectors can be rebuilt and checked. Reads pcap and pcapng (Ethernet, BSD loopback, Linux cooked, raw IP),
IPv4 and IPv6, reassembles each stream's client-to-server bytes by sequence number, and prints,
per stream whose first byte is a TLS handshake record, the records up to the end of the
ClientHello message as hex.

usage: extract-clienthellos.py CAPTURE [port]
"""
import struct
import sys


def frames(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        link = struct.unpack("<I", data[20:24])[0]
        pos = 24
        while pos + 16 <= len(data):
            incl = struct.unpack("<I", data[pos + 8:pos + 12])[0]
            yield link, data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        links = []
        pos = 0
        while pos + 12 <= len(data):
            btype, blen = struct.unpack("<II", data[pos:pos + 8])
            body = data[pos + 8:pos + blen - 4]
            if btype == 1:
                links.append(struct.unpack("<H", body[:2])[0])
            elif btype == 6:
                iface, _, _, caplen, _ = struct.unpack("<IIIII", body[:20])
                yield links[iface], body[20:20 + caplen]
            pos += blen
    else:
        raise SystemExit("not a pcap or pcapng file")


def ip_payload(link, frame):
    if link == 1:
        eth_type = struct.unpack(">H", frame[12:14])[0]
        off = 14
        while eth_type in (0x8100, 0x88A8):
            eth_type = struct.unpack(">H", frame[off + 2:off + 4])[0]
            off += 4
        return frame[off:]
    if link == 0:
        return frame[4:]
    if link == 113:
        return frame[16:]
    if link in (101, 228, 229):
        return frame
    return None


def tcp_segment(packet):
    version = packet[0] >> 4
    if version == 4:
        ihl = (packet[0] & 15) * 4
        if packet[9] != 6:
            return None
        src, dst = packet[12:16], packet[16:20]
        total = struct.unpack(">H", packet[2:4])[0]
        tcp = packet[ihl:total]
    elif version == 6:
        if packet[6] != 6:
            return None
        src, dst = packet[8:24], packet[24:40]
        plen = struct.unpack(">H", packet[4:6])[0]
        tcp = packet[40:40 + plen]
    else:
        return None
    sport, dport, seq = struct.unpack(">HHI", tcp[:8])
    doff = (tcp[12] >> 4) * 4
    flags = tcp[13]
    return (src, sport, dst, dport), seq, flags, tcp[doff:]


def main():
    data = open(sys.argv[1], "rb").read()
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 443
    streams = {}
    order = []
    for link, frame in frames(data):
        packet = ip_payload(link, frame)
        if not packet:
            continue
        seg = tcp_segment(packet)
        if not seg:
            continue
        key, seq, flags, payload = seg
        if key[3] != port:
            continue
        s = streams.get(key)
        if flags & 2:
            streams[key] = s = {"isn": seq, "parts": {}}
            order.append(key)
        if s is None and payload:
            # Captured without its SYN: the first data segment seen starts the stream.
            streams[key] = s = {"isn": (seq - 1) & 0xFFFFFFFF, "parts": {}}
            order.append(key)
        if s is None or not payload:
            continue
        s["parts"][(seq - s["isn"] - 1) & 0xFFFFFFFF] = payload
    for key in order:
        parts = streams[key]["parts"]
        buf = bytearray()
        while len(buf) in parts:
            buf += parts[len(buf)]
        out = client_hello_records(bytes(buf))
        if out:
            print(key[1], out.hex())


def client_hello_records(buf):
    """The records that carry the first handshake message, or None."""
    pos = 0
    message = bytearray()
    while pos + 5 <= len(buf) and buf[pos] == 0x16:
        length = struct.unpack(">H", buf[pos + 3:pos + 5])[0]
        message += buf[pos + 5:pos + 5 + length]
        pos += 5 + length
        if len(message) >= 4 and message[0] == 1 and len(message) >= 4 + int.from_bytes(message[1:4], "big"):
            return buf[:pos]
    return None


if __name__ == "__main__":
    main()
