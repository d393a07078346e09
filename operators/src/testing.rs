//! Helpers shared by the operators' oracle tests.

/// A small deterministic generator (xorshift64) for random operation sequences.
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A generator with a non-zero seed.
    pub(crate) fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
