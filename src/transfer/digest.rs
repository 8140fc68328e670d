//! A checksum of the bytes a read has delivered, so that a file read again
//! from its start can be checked to begin with them before they are skipped.

/// A checksum of a byte stream, the same however the stream is cut into
/// chunks: Fletcher's sums over 8-byte words in eight lanes (each word is
/// added to its lane's sum, and the running sum to a second one, which
/// weighs words by position), finished with a mixing step. It has no
/// multiplication in its loop, so the compiler runs the lanes side by side
/// in vector registers and it keeps up with memory: reading a log at
/// loopback speed costs next to nothing more. It tells an accident (a file
/// that changed between two reads) from the same bytes; it is no defence
/// against a server that lies, which could send any bytes in the first
/// place.
#[derive(Clone, Debug)]
pub(crate) struct Digest {
    sums: [u64; LANES],
    weighted: [u64; LANES],
    pending: [u8; BLOCK],
    pending_len: usize,
    len: u64,
}

const LANES: usize = 8;
const BLOCK: usize = LANES * 8;

impl Default for Digest {
    fn default() -> Self {
        Digest { sums: [0; LANES], weighted: [0; LANES], pending: [0; BLOCK], pending_len: 0, len: 0 }
    }
}

impl Digest {
    fn blocks(&mut self, bytes: &[u8]) {
        let (mut sums, mut weighted) = (self.sums, self.weighted);
        for block in bytes.chunks_exact(BLOCK) {
            for lane in 0..LANES {
                let word = u64::from_le_bytes(block[lane * 8..lane * 8 + 8].try_into().unwrap_or_default());
                sums[lane] = sums[lane].wrapping_add(word);
                weighted[lane] = weighted[lane].wrapping_add(sums[lane]);
            }
        }
        (self.sums, self.weighted) = (sums, weighted);
    }

    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u64);
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(bytes.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            if self.pending_len < BLOCK {
                return;
            }
            let pending = self.pending;
            self.blocks(&pending);
            self.pending_len = 0;
        }
        let whole = bytes.len() / BLOCK * BLOCK;
        self.blocks(&bytes[..whole]);
        let rest = &bytes[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    pub(crate) fn value(&self) -> u64 {
        let mut copy = self.clone();
        let mut last = [0u8; BLOCK];
        last[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
        copy.blocks(&last);
        let mix = |mut h: u64| {
            // The finaliser of splitmix64: every input bit reaches every output bit.
            h ^= h >> 30;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 27;
            h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^ (h >> 31)
        };
        let lanes = copy.sums.iter().chain(&copy.weighted);
        lanes.fold(mix(self.len), |h, &lane| mix(h ^ lane).rotate_left(17))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_the_same_however_the_bytes_are_cut() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Digest::default();
        whole.update(&bytes);
        for cut in [1, 7, 31, 32, 33, 100, 999] {
            let mut pieces = Digest::default();
            for piece in bytes.chunks(cut) {
                pieces.update(piece);
            }
            assert_eq!(pieces.value(), whole.value(), "cut every {cut} bytes");
        }
        let mut changed = bytes.clone();
        changed[500] ^= 1;
        let mut other = Digest::default();
        other.update(&changed);
        assert_ne!(other.value(), whole.value());
        let mut shorter = Digest::default();
        shorter.update(&bytes[..999]);
        assert_ne!(shorter.value(), whole.value());
        // Words swapped within a lane, across lanes, and a block moved.
        for (a, b) in [(0, 64), (8, 72), (0, 8), (128, 640)] {
            let mut swapped = bytes.clone();
            for i in 0..8 {
                swapped.swap(a + i, b + i);
            }
            let mut digest = Digest::default();
            digest.update(&swapped);
            assert_ne!(digest.value(), whole.value(), "words at {a} and {b} swapped");
        }
        // Trailing zeros change the length, and so the digest.
        let (mut a, mut b) = (Digest::default(), Digest::default());
        a.update(b"x");
        b.update(b"x\0");
        assert_ne!(a.value(), b.value());
    }
}
