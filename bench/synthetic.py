"""Python port of VRSDomain's SyntheticPopulation identifiers (SplitMix64 + keyed Feistel
permutation), for bench/dump-check only. It reproduces address numbers, Individual Numbers and
coupon numbers of `vrs dev seed --seed S`; dump-check verifies the port against the address
numbers stored in the database (plaintext) before trusting the Individual Numbers it produces.
Source of truth: Sources/VRSDomain/Synthetic/{SplitMix64,DecimalPermutation,SyntheticPopulation}.swift
"""
M64 = (1 << 64) - 1
WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        return mix(self.state)


class DecimalPermutation:
    def __init__(self, domain, key):
        self.domain = domain
        bits = 2
        while (1 << bits) < domain:
            bits += 2
        self.half = bits // 2
        self.mask = (1 << self.half) - 1
        g = SplitMix64(key)
        self.keys = (g.next(), g.next(), g.next(), g.next())

    def __call__(self, value):
        h, m, k = self.half, self.mask, self.keys
        r = value
        while True:
            left, right = r >> h, r & m
            for key in k:
                left, right = right, left ^ (mix(right ^ key) & m)
            r = (left << h) | right
            if r < self.domain:
                return r


def check_digit(base11):
    """base11: string of 11 digits."""
    r = sum(int(d) * w for d, w in zip(base11, WEIGHTS)) % 11
    return 0 if r <= 1 else 11 - r


def is_individual_number(s):
    return len(s) == 12 and s.isdigit() and check_digit(s[:11]) == int(s[11])


class Population:
    def __init__(self, seed):
        keys = SplitMix64(seed)
        self.address = DecimalPermutation(10_000_000_000, keys.next())
        self.individual = DecimalPermutation(100_000_000_000, keys.next())
        self.coupon = DecimalPermutation(10_000_000_000, keys.next())

    def address_number(self, i):
        return "%010d" % self.address(i)

    def individual_number(self, i):
        base = "%011d" % self.individual(i)
        return base + str(check_digit(base))

    def coupon_number(self, i):
        return "%010d" % self.coupon(i)
