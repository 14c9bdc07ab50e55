"""The item bootstrap of prefscope's statistics, in python3 stdlib, for the e2e tests
that recompute intervals independently (eval_random.sh, eval_figures.sh): the same
seeded xoshiro256** stream (seeded through splitmix64, integers without modulo bias),
the same resamples of items, numpy's default percentile interpolation."""
import math

M64 = (1 << 64) - 1


class Rng:
    """xoshiro256** seeded through splitmix64, integers without modulo bias."""

    def __init__(self, seed):
        self.s = []
        x = seed
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        limit = M64 - (M64 % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n


def resamples(n_items, rounds, seed):
    rng = Rng(seed)
    for _ in range(rounds):
        mult = [0] * n_items
        for _ in range(n_items):
            mult[rng.below(n_items)] += 1
        yield mult


def percentile_ci(vals, level=0.95):
    v = sorted(x for x in vals if x is not None and not math.isnan(x))
    if not v:
        return None, None
    def q(p):
        pos = p * (len(v) - 1)
        i = int(pos)
        return v[-1] if i + 1 >= len(v) else v[i] + (v[i + 1] - v[i]) * (pos - i)
    return q((1 - level) / 2), q((1 + level) / 2)
