#!/usr/bin/env python3
# forge-record.py RECORD OP - test-only surgery on a dualboot state record,
# with the CRC-32C recomputed so that the copy stays whole (docs/state-format.md):
#   unknown-event  the newest copy gets seq + 10 and last_event 9, an event
#                  code format version 1 does not know (as another build of
#                  the same format could write it)
import struct
import sys


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff


path, op = sys.argv[1], sys.argv[2]
with open(path, 'rb') as f:
    rec = bytearray(f.read())


def seq(i):
    return struct.unpack_from('<Q', rec, i * 4096 + 16)[0]


newest = 0 if seq(0) >= seq(1) else 1
c = newest * 4096
if op == 'unknown-event':
    struct.pack_into('<Q', rec, c + 16, seq(newest) + 10)
    rec[c + 56] = 9
else:
    sys.exit('forge-record.py: unknown operation ' + op)
struct.pack_into('<I', rec, c + 4092, crc32c(bytes(rec[c:c + 4092])))
with open(path, 'r+b') as f:
    f.write(rec)
