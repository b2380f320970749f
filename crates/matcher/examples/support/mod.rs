//! What the vector examples share: deterministic unit vectors.

/// A small deterministic generator (xorshift), so runs are comparable.
pub struct Xorshift(pub u64);

impl Xorshift {
    /// A value in [-0.5, 0.5).
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    /// A random unit vector of `dimension` entries.
    pub fn unit(&mut self, dimension: usize) -> Vec<f32> {
        normalised((0..dimension).map(|_| self.next()).collect())
    }
}

/// `v` scaled to length 1.
pub fn normalised(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// The sizes given on the command line, or `default` when none are.
pub fn sizes_or(default: usize) -> Vec<usize> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        vec![default]
    } else {
        sizes
    }
}
