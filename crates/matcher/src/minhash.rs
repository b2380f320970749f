//! Near-duplicate text: MinHash signatures over word shingles and banded locality-sensitive
//! hashing, so that finding the near-duplicate pairs of n texts costs about n, not n².
//!
//! The words are expected to be analysed already (lower-cased, stemmed, spelling normalised, stop
//! words gone), so "tenesta for heimebuande" and "tjenesten for hjemmeboende" shingle alike.

use std::collections::HashMap;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Hash functions per signature. 128 gives a Jaccard estimate within about ±0.09 (2σ).
pub const SIGNATURE_LEN: usize = 128;
/// Words per shingle. Two keeps short texts (a need is a few sentences) comparable while still
/// telling word order apart.
pub const SHINGLE_WORDS: usize = 2;
/// LSH bands × rows = [`SIGNATURE_LEN`]. With 32 bands of 4 rows a pair with Jaccard 0.3 becomes
/// a candidate with probability 1 − (1 − 0.3⁴)³² ≈ 0.23, one with 0.5 ≈ 0.87, with 0.7 ≈ 1.
const BANDS: usize = 32;
const ROWS: usize = SIGNATURE_LEN / BANDS;
/// In a bucket shared by more texts than this (one template posted by many municipalities),
/// each text is paired with its next this-many bucket mates only: the pairs stay linear in the
/// number of texts and the bucket still forms one connected cluster.
const MAX_PARTNERS: usize = 64;

/// A MinHash signature: the minimum of each of [`SIGNATURE_LEN`] hash functions over a text's
/// shingles. Two signatures agree in a position with probability equal to the texts' Jaccard
/// similarity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(Vec<u64>);

impl Signature {
    /// The signature of a sequence of analysed words, shingled [`SHINGLE_WORDS`] at a time. A
    /// text shorter than a shingle is one shingle; an empty text has no signature.
    pub fn of_words<S: AsRef<str>>(words: &[S]) -> Option<Signature> {
        if words.is_empty() {
            return None;
        }
        let width = SHINGLE_WORDS.min(words.len());
        let mut minima = vec![u64::MAX; SIGNATURE_LEN];
        let mut shingle = String::new();
        for window in words.windows(width) {
            shingle.clear();
            for (i, word) in window.iter().enumerate() {
                if i > 0 {
                    shingle.push(' ');
                }
                shingle.push_str(word.as_ref());
            }
            let base = xxh3_64_with_seed(shingle.as_bytes(), 0);
            for (i, minimum) in minima.iter_mut().enumerate() {
                // One cheap, well-mixed hash per position, derived from the shingle's hash.
                let h = mix(base ^ SEEDS[i % SEEDS.len()].wrapping_mul(i as u64 + 1));
                if h < *minimum {
                    *minimum = h;
                }
            }
        }
        Some(Signature(minima))
    }

    /// The estimated Jaccard similarity of the two texts' shingle sets, in [0, 1].
    pub fn jaccard(&self, other: &Signature) -> f32 {
        let agree = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        agree as f32 / SIGNATURE_LEN as f32
    }
}

/// splitmix64's finaliser: turns related inputs into unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const SEEDS: [u64; 4] = [
    0x9e37_79b9_7f4a_7c15,
    0xc2b2_ae3d_27d4_eb4f,
    0x1656_67b1_9e37_79f9,
    0x85eb_ca77_c2b2_ae63,
];

/// Banded LSH over signatures: texts whose signatures agree on a whole band land in the same
/// bucket and become candidate pairs.
#[derive(Debug, Default)]
pub struct LshIndex {
    buckets: HashMap<(usize, u64), Vec<usize>>,
}

impl LshIndex {
    /// An empty index.
    pub fn new() -> LshIndex {
        LshIndex::default()
    }

    /// Adds the signature of item `item` (the caller's index into its own list).
    pub fn insert(&mut self, item: usize, signature: &Signature) {
        for band in 0..BANDS {
            let rows = &signature.0[band * ROWS..(band + 1) * ROWS];
            let mut key = band as u64;
            for row in rows {
                key = mix(key ^ row);
            }
            self.buckets.entry((band, key)).or_default().push(item);
        }
    }

    /// The pairs of items that share a bucket (smaller item first, each pair once). In a
    /// crowded bucket each item is paired with its next `MAX_PARTNERS` mates only.
    pub fn candidate_pairs(&self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for members in self.buckets.values() {
            for (i, &a) in members.iter().enumerate() {
                let end = (i + 1 + MAX_PARTNERS).min(members.len());
                for &b in &members[i + 1..end] {
                    if a != b {
                        pairs.push((a.min(b), a.max(b)));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

/// The exact Jaccard similarity of two sets of analysed words: how much of a text's vocabulary
/// survived an edit.
pub fn vocabulary_overlap<S: AsRef<str> + Ord>(a: &[S], b: &[S]) -> f32 {
    use std::collections::BTreeSet;
    let a: BTreeSet<&str> = a.iter().map(AsRef::as_ref).collect();
    let b: BTreeSet<&str> = b.iter().map(AsRef::as_ref).collect();
    let union = a.union(&b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(&b).count() as f32 / union as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    const NEED: &str = "kommun ønsk kunnskap om velferdsteknologi i hjemmetjenest for eldr som bor \
                        hjemm og om hvordan medisindispenser kan redusere feilmedisinering";

    #[test]
    fn identical_texts_have_identical_signatures() {
        let a = Signature::of_words(&words(NEED)).unwrap();
        let b = Signature::of_words(&words(NEED)).unwrap();
        assert_eq!(a.jaccard(&b), 1.0);
    }

    #[test]
    fn a_light_edit_stays_similar_and_an_unrelated_text_does_not() {
        let base = Signature::of_words(&words(NEED)).unwrap();
        let edited = Signature::of_words(&words(&NEED.replace("eldr", "brukere"))).unwrap();
        let other = Signature::of_words(&words(
            "skol vil prøv ut ny metod for lesing i småskol og trenger forsker på leseopplæring",
        ))
        .unwrap();
        let near = base.jaccard(&edited);
        assert!(near > 0.6, "edited copy estimated at {near}");
        assert!(base.jaccard(&other) < 0.1);
    }

    #[test]
    fn estimate_tracks_the_true_jaccard() {
        // 100 shared shingles and 100 unique per side: true Jaccard 100/300 = 0.33.
        let shared: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
        let mut a = shared.clone();
        a.extend((0..100).map(|i| format!("a{i}")));
        let mut b = shared;
        b.extend((0..100).map(|i| format!("b{i}")));
        let estimate = Signature::of_words(&a)
            .unwrap()
            .jaccard(&Signature::of_words(&b).unwrap());
        assert!((estimate - 0.33).abs() < 0.12, "estimate {estimate}");
    }

    #[test]
    fn empty_text_has_no_signature_and_a_single_word_has_one() {
        assert!(Signature::of_words::<String>(&[]).is_none());
        assert!(Signature::of_words(&["velferd"]).is_some());
    }

    #[test]
    fn lsh_pairs_near_duplicates_and_leaves_unrelated_texts_apart() {
        let texts = [
            NEED.to_string(),
            NEED.replace("eldr", "brukere"),
            "skol vil prøv ut ny metod for lesing i småskol og trenger forsker på leseopplæring"
                .to_string(),
        ];
        let mut lsh = LshIndex::new();
        for (i, t) in texts.iter().enumerate() {
            lsh.insert(i, &Signature::of_words(&words(t)).unwrap());
        }
        assert_eq!(lsh.candidate_pairs(), vec![(0, 1)]);
    }

    #[test]
    fn a_crowded_bucket_gives_linearly_many_pairs() {
        let mut lsh = LshIndex::new();
        let same = Signature::of_words(&words(NEED)).unwrap();
        let n = 10 * MAX_PARTNERS;
        for i in 0..n {
            lsh.insert(i, &same);
        }
        let pairs = lsh.candidate_pairs();
        assert!(pairs.len() <= n * MAX_PARTNERS);
        assert!(pairs.len() < n * (n - 1) / 2);
        // Still one chain: every item pairs with the next one.
        assert!((0..n - 1).all(|i| pairs.binary_search(&(i, i + 1)).is_ok()));
    }

    #[test]
    fn vocabulary_overlap_is_exact_jaccard() {
        assert_eq!(vocabulary_overlap(&["a", "b"], &["b", "c"]), 1.0 / 3.0);
        assert_eq!(vocabulary_overlap::<&str>(&[], &[]), 1.0);
    }
}
