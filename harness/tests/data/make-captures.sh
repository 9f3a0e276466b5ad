#!/bin/sh
# Makes the test captures of real Linux TCP traffic in this directory
# (harness/tests/data/), as committed. Needs root (network namespaces, a
# veth pair), tshark, editcap and python3. Two namespaces talk over a veth
# pair: a client connects twice, sends 1000 and 2000 bytes, reads what the
# server sends (20000 bytes) and both close. Captures keep only the first
# 128 bytes of each frame (headers), so they stay a few KB; the IP total
# length still tells the payload's size.
#
#   linux-eth.pcap      Ethernet, on the server's veth (TSO: segments of
#                       several MSS from the server)
#   linux-sll.pcap      Linux cooked v1 (tshark -i any -y LINUX_SLL)
#   linux-sll2.pcapng   Linux cooked v2, pcapng (-y LINUX_SLL2)
#   linux-lo.pcapng     loopback inside one namespace (MSS 65483, large
#                       segments both ways), pcapng
#   linux-raw.pcap      linux-eth.pcap re-framed as LINKTYPE_RAW (101)
#   linux-null.pcap     the same as DLT_NULL (BSD loopback, little-endian)
#   linux-loop.pcap     the same as DLT_LOOP (OpenBSD loopback, big-endian)
#   linux-raw-kernel.pcap  `synfin run --sut linux --pcap` of a spec: the
#                       kernel's TUN traffic, LINKTYPE_RAW, nanoseconds
#
# usage: make-captures.sh [SYNFIN]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
synfin=${1:-}
tmp=$(mktemp -d /tmp/synfin-captures.XXXXXX)
cleanup() {
  ip netns del sfcap-a 2>/dev/null || true
  ip netns del sfcap-b 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$tmp/server.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4)
for _ in range(int(sys.argv[3])):
    c, _ = s.accept()
    got = 0
    while got < 3000:
        d = c.recv(65536)
        if not d:
            break
        got += len(d)
    c.sendall(b'x' * 20000)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()
PY
cat >"$tmp/client.py" <<'PY'
import socket, sys, time
for i in range(int(sys.argv[3])):
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    c.sendall(b'a' * 1000)
    time.sleep(0.02)
    c.sendall(b'b' * 2000)
    while c.recv(65536):
        pass
    c.close()
    time.sleep(0.05)
PY

# capture NS IFACE OUT [tshark options]: runs two connections while
# tshark captures in NS.
capture() {
  ns=$1 iface=$2 out=$3
  shift 3
  ip netns exec "$ns" tshark -q -i "$iface" -s 128 -f tcp "$@" \
    -w "$tmp/cap" >/dev/null 2>&1 &
  tpid=$!
  sleep 2
  if [ "$ns" = sfcap-a ] && [ "$iface" = lo ]; then
    ip netns exec sfcap-a python3 "$tmp/server.py" 127.0.0.1 8000 2 &
    spid=$!
    sleep 0.5
    ip netns exec sfcap-a python3 "$tmp/client.py" 127.0.0.1 8000 2
  else
    ip netns exec sfcap-b python3 "$tmp/server.py" 10.9.0.2 8000 2 &
    spid=$!
    sleep 0.5
    ip netns exec sfcap-a python3 "$tmp/client.py" 10.9.0.2 8000 2
  fi
  wait "$spid"
  sleep 1
  kill -INT "$tpid"
  wait "$tpid" || true
  cp "$tmp/cap" "$here/$out"
}

ip netns add sfcap-a
ip netns add sfcap-b
ip link add va netns sfcap-a type veth peer name vb netns sfcap-b
ip -n sfcap-a addr add 10.9.0.1/24 dev va
ip -n sfcap-b addr add 10.9.0.2/24 dev vb
for ns in sfcap-a sfcap-b; do ip -n "$ns" link set lo up; done
ip -n sfcap-a link set va up
ip -n sfcap-b link set vb up

capture sfcap-b vb linux-eth.pcap -F pcap
capture sfcap-b any linux-sll.pcap -y LINUX_SLL -F pcap
capture sfcap-b any linux-sll2.pcapng -y LINUX_SLL2 -F pcapng
capture sfcap-a lo linux-lo.pcapng -F pcapng

# re-framings of the Ethernet capture
python3 - "$here" <<'PY'
import struct, sys
d = sys.argv[1]
raw = open(d + '/linux-eth.pcap', 'rb').read()
magic = struct.unpack('<I', raw[:4])[0]
e = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
hdr = raw[:24]
def rewrite(name, linktype, frame):
    out = bytearray(hdr[:20]) + struct.pack(e + 'I', linktype)
    off = 24
    while off + 16 <= len(raw):
        ts, tus, incl, orig = struct.unpack(e + 'IIII', raw[off:off + 16])
        data = raw[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(data) < 14 or data[12:14] != b'\x08\x00':
            continue
        new = frame(data[14:])
        out += struct.pack(e + 'IIII', ts, tus, len(new), orig - 14 + len(new) - len(data[14:]))
        out += new
    open(d + '/' + name, 'wb').write(out)
rewrite('linux-raw.pcap', 101, lambda ip: ip)
rewrite('linux-null.pcap', 0, lambda ip: struct.pack('<I', 2) + ip)
rewrite('linux-loop.pcap', 108, lambda ip: struct.pack('>I', 2) + ip)
PY

if [ -n "$synfin" ]; then
  spec=$(cd "$here/../../.." && pwd)/specs/rfc9293/data/inbound-data.pkt
  "$synfin" run --sut linux --pcap "$tmp/kpcap" "$spec" >/dev/null || true
  f=$(find "$tmp/kpcap" -name '*.pcap' | head -n 1)
  [ -n "$f" ] && cp "$f" "$here/linux-raw-kernel.pcap"
fi
ls -l "$here"
