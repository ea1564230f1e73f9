#!/usr/bin/env python3
# forge-record.py RECORD OP - test-only surgery on a dualboot state record,
# with the CRC-32C recomputed where a copy must stay whole
# (docs/state-format.md). Used by test/t/20-dualbootctl.t and, through
# DUALBOOT_FORGE, by the pg_regress suites:
#   newer-version   the newest copy: format version 3, seq + 10
#   unknown-event   the newest copy gets seq + 10 and last_event 13, an event
#                   code format version 2 does not know (as another build of
#                   the same format could write it)
#   fprint          the newest copy: fingerprint entry 0 = slot B, db "app"
#   corrupt-newest  one byte of the newest copy flipped (its CRC now fails)
#   corrupt-both    the same byte flipped in both copies
#   magic           a wrong magic in both copies
#   seqs            print the two copies' sequence numbers, change nothing
#   rehearsal NAME DB BEFORE AFTER [ORIGIN [MAJOR]]
#                   the newest copy: rehearsal entry 0 completed on slot B
#                   (origin 0 unknown, 1 local, 2 imported; major 0 unknown)
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


def reseal(c):
    struct.pack_into('<I', rec, c + 4092, crc32c(bytes(rec[c:c + 4092])))


newest = 0 if seq(0) >= seq(1) else 1
c = newest * 4096
if op == 'newer-version':
    struct.pack_into("<H", rec, c + 8, 3)
    struct.pack_into('<Q', rec, c + 16, seq(newest) + 10)
    reseal(c)
elif op == 'unknown-event':
    struct.pack_into('<Q', rec, c + 16, seq(newest) + 10)
    rec[c + 56] = 13
    reseal(c)
elif op == 'fprint':
    e = c + 16 + 152
    struct.pack_into('<qB7x', rec, e, 1795600000, 1)
    rec[e + 16:e + 16 + 64] = b'app'.ljust(64, b'\0')
    rec[e + 80:e + 80 + 112] = b'v1:pg15:3f2a'.ljust(112, b'\0')
    reseal(c)
elif op == 'corrupt-newest':
    rec[c + 200] ^= 0x55
elif op == 'corrupt-both':
    rec[200] ^= 0x55
    rec[4096 + 200] ^= 0x55
elif op == 'magic':
    rec[0:8] = b'NOTDUALB'
    rec[4096:4104] = b'NOTDUALB'
elif op == 'rehearsal':
    name, db, before, after = (a.encode() for a in sys.argv[3:7])
    origin = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    major = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    e = c + 3224
    rec[e:e + 288] = (name.ljust(40, b'\0') + db.ljust(64, b'\0') + before.ljust(80, b'\0') +
                      after.ljust(80, b'\0') +
                      struct.pack('<qqBBBB4x', 1795600000, 1795600060, 2, 1, major, origin))
    struct.pack_into('<Q', rec, c + 16, seq(newest) + 1)
    reseal(c)
elif op == 'seqs':
    print(seq(0), seq(1))
    sys.exit(0)
else:
    sys.exit('forge-record.py: unknown operation ' + op)
with open(path, 'r+b') as f:
    f.write(rec)
