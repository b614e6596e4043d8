#!/usr/bin/env python3
"""Scans a pg_dump (plain SQL) for Individual Numbers. Used by bench/dump-check.

usage: dumpscan.py DUMP [SEEDED_NUMBERS_FILE]

1. Structural: every run of exactly 12 ASCII digits (the `grep -E '(^|[^0-9])[0-9]{12}([^0-9]|$)'`
   criterion, counted per occurrence), classified by where it sits:
     bytea   inside a \\x… hex literal (ciphertext, blind index, wrapped keys, audit hashes)
     uuid    the last group of a UUID
     hexword inside another hex word (e.g. a master key fingerprint)
     plain   delimited by non-hex characters: a value of its own — the only suspicious kind
   and counted again for those whose 12th digit is a valid Individual Number check digit
   (weights 6,5,4,3,2,7,6,5,4,3,2; r = sum mod 11; 0 if r <= 1 else 11 - r). Also counted:
   12 consecutive full-width digits, and the hex of 12 ASCII digits ("3d" x 12) in a bytea.
2. Exact (when SEEDED_NUMBERS_FILE is given, one number per line): every 12-digit window of the
   dump in any form Tests/VRSStoreTests/DumpTests.swift scans for (plain, '-'/' ' separated,
   full-width, hex of ASCII) is looked up in the seeded numbers.
Exit status 1 when a check-digit-valid "plain" run, a full-width/hex-ASCII run that is a valid
number, or (exact) any seeded number is found; 0 otherwise.
"""
import re
import sys
from collections import Counter

sys.path.insert(0, __import__("os").path.dirname(__file__))
from synthetic import is_individual_number  # noqa: E402

TWELVE = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
BYTEA = re.compile(r"\\x[0-9a-f]*")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FULLWIDTH = re.compile("[\uff10-\uff19]{12,}")
HEXASCII = re.compile(r"(?:3[0-9]){12,}")
DIGITS12 = re.compile(r"[0-9]{12,}")
FW_TABLE = {0xFF10 + i: 0x30 + i for i in range(10)}


def spans(regex, line):
    return [m.span() for m in regex.finditer(line)]


def inside(pos, ranges):
    return any(a <= pos < b for a, b in ranges)


def windows(run):
    for i in range(len(run) - 11):
        yield run[i:i + 12]


def main():
    dump = sys.argv[1]
    seeded = None
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            seeded = {line.strip() for line in f if line.strip()}
    runs, valid = Counter(), Counter()
    lines_with_run = 0
    suspicious = []
    fullwidth_valid = hexascii_valid = 0
    leaks = set()
    with open(dump, encoding="utf-8", errors="replace") as f:
        for line in f:
            found = False
            if any(c.isdigit() for c in line):
                bytea = None
                uuids = None
                for m in TWELVE.finditer(line):
                    found = True
                    if bytea is None:
                        bytea, uuids = spans(BYTEA, line), spans(UUID, line)
                    a, b = m.span()
                    if inside(a, bytea):
                        kind = "bytea"
                    elif inside(a, uuids):
                        kind = "uuid"
                    elif (a > 0 and line[a - 1] in "abcdef") or (b < len(line) and line[b] in "abcdef"):
                        kind = "hexword"
                    else:
                        kind = "plain"
                    runs[kind] += 1
                    if is_individual_number(m.group()):
                        valid[kind] += 1
                        if kind == "plain":
                            suspicious.append(line[max(0, a - 40):b + 40].rstrip("\n"))
            if found:
                lines_with_run += 1
            for m in FULLWIDTH.finditer(line):
                fullwidth_valid += sum(is_individual_number(w) for w in windows(m.group().translate(FW_TABLE)))
            for m in HEXASCII.finditer(line):
                digits = m.group()[1::2]
                hexascii_valid += sum(is_individual_number(w) for w in windows(digits))
            if seeded is not None:
                squeezed = line.replace("-", "").replace(" ", "").translate(FW_TABLE)
                for m in DIGITS12.finditer(squeezed):
                    leaks.update(w for w in windows(m.group()) if w in seeded)
                for m in HEXASCII.finditer(squeezed):
                    leaks.update(w for w in windows(m.group()[1::2]) if w in seeded)
    total = sum(runs.values())
    print(f"lines with an exact 12-digit run (the grep -c figure): {lines_with_run}")
    print(f"exact 12-digit runs: {total}; of which pass the Individual Number check digit: {sum(valid.values())}")
    for kind in ("bytea", "uuid", "hexword", "plain"):
        print(f"  {kind:8s} {runs[kind]:8d} runs, {valid[kind]:6d} check-digit-valid")
    print(f"full-width 12-digit windows passing the check digit: {fullwidth_valid}")
    print(f"hex-of-ASCII 12-digit windows passing the check digit: {hexascii_valid}")
    bad = valid["plain"] + fullwidth_valid + hexascii_valid
    for s in suspicious[:20]:
        print("  suspicious (masked):", re.sub(r"[0-9]{8}(?=[0-9]{4})", "********", s))
    if seeded is not None:
        print(f"exact check: {len(seeded)} seeded Individual Numbers looked up in every form; found {len(leaks)}")
        bad += len(leaks)
    print("RESULT: " + ("FAIL — unexplained Individual Number candidates" if bad else
                        "no plaintext Individual Number: every check-digit-valid 12-digit run is inside a bytea hex literal, a UUID or a hex word"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
