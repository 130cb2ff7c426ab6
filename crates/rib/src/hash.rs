//! The hasher of the route tables. Their keys are a few machine words (RD and prefix, E-VPN
//! fields), and with the standard SipHash hashing them cost as much as the rest of a route
//! insertion. This is the multiply-rotate word hash of rustc (FxHash) with a 64-bit finaliser
//! (so that every bit of the key reaches the low bits that pick a bucket), seeded at random per
//! process so that a peer cannot prepare colliding keys in advance.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

static SEED: OnceLock<u64> = OnceLock::new();

#[derive(Debug, Clone, Copy)]
pub struct FastState {
    seed: u64,
}

impl Default for FastState {
    fn default() -> Self {
        FastState {
            seed: *SEED.get_or_init(|| RandomState::new().hash_one(0x6261_6770_6970_6573_u64)),
        }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher { hash: self.seed }
    }
}

pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length tells "ab" from "ab\0".
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// MurmurHash3's fmix64.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_that_differ_in_one_field_spread_over_the_low_bits() {
        let s = FastState::default();
        // 4096 /32 prefixes of one RD: their low 12 bits of hash (a table's bucket index)
        // should take most of the 4096 values, as a random function's would (~63%).
        let buckets: HashSet<u64> = (0..4096u32)
            .map(|i| s.hash_one((65000u16, 7u32, [10u8, 0, (i >> 8) as u8, i as u8], 32u8)) & 0xfff)
            .collect();
        assert!(buckets.len() > 2400, "{} buckets used", buckets.len());
        assert_eq!(s.hash_one("ab"), s.hash_one("ab"));
        assert_ne!(s.hash_one([1u8, 2]), s.hash_one([1u8, 2, 0]));
    }
}
