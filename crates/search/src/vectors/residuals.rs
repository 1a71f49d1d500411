//! Residual codes: for each paper, two bits a dimension saying where it lies against its list's
//! centroid, and one scale. At 256 dimensions that is 68 bytes a paper (190 MB at 2.8 M papers)
//! against 256 for its int8 codes, so the codes a query scans fit the memory budget; the int8
//! codes are read only for the candidates these pick.
//!
//! A paper x in the list of centroid c is x = c + r. Each r_j is put on one of four levels,
//! ±0.567 σ_j or ±1.892 σ_j (cut at 0 and ±1.23 σ_j: the best four levels for a normal
//! distribution, σ_j being dimension j's mean |r_j| over a sample; the distilled model's
//! dimensions differ in spread by an order of magnitude). Then r ≈ α · v, v the levels and α the
//! scale that fits r best, and a query q scores q·c + α · Σ q_j v_j: 64 table look-ups (one a
//! byte of codes, four dimensions) in tables made once per query.
//!
//! One bit a dimension (signs) was tried first: at 1 M papers it needed 32 candidates a hit
//! for recall@100 of 0.95, against 8 with two bits (`paperboy-bench vectors`; that version was
//! replaced before it was committed).

/// Where the levels are cut, and the levels, in units of a dimension's mean |r|.
const CUT: f32 = 1.23;
const INNER: f32 = 0.567;
const OUTER: f32 = 1.892;
const LEVELS: [f32; 4] = [-OUTER, -INNER, INNER, OUTER];

/// Bytes of codes a row of `dimensions`.
pub fn bytes_for(dimensions: usize) -> usize {
    dimensions.div_ceil(4)
}

/// Each dimension's mean distance from the centroid of its list, over `sample`, whose rows
/// were filed under `assigned` lists.
pub fn spreads(sample: &[f32], dimensions: usize, centroids: &[f32], assigned: &[u32]) -> Vec<f32> {
    let mut sums = vec![0.0f64; dimensions];
    for (vector, &list) in sample.chunks_exact(dimensions).zip(assigned) {
        let centroid = &centroids[list as usize * dimensions..(list as usize + 1) * dimensions];
        for ((sum, x), c) in sums.iter_mut().zip(vector).zip(centroid) {
            *sum += f64::from((x - c).abs());
        }
    }
    let rows = assigned.len().max(1) as f64;
    sums.into_iter()
        .map(|sum| ((sum / rows) as f32).max(f32::MIN_POSITIVE))
        .collect()
}

/// Writes the codes of `vector - centroid` into `codes` (dimension j in bits 2(j % 4) and up of
/// byte j / 4, levels numbered from the lowest) and returns the scale α.
pub fn encode(vector: &[f32], centroid: &[f32], spreads: &[f32], codes: &mut Vec<u8>) -> f32 {
    codes.clear();
    codes.resize(bytes_for(vector.len()), 0);
    let (mut along, mut norm) = (0.0f32, 0.0f32);
    for (j, ((x, c), s)) in vector.iter().zip(centroid).zip(spreads).enumerate() {
        let r = (x - c) / s;
        let level = match r {
            r if r < -CUT => 0u8,
            r if r < 0.0 => 1,
            r if r < CUT => 2,
            _ => 3,
        };
        codes[j / 4] |= level << (2 * (j % 4));
        // The least-squares α for r ≈ α · v: Σ r_j v_j / Σ v_j².
        let v = LEVELS[usize::from(level)] * s;
        along += (x - c) * v;
        norm += v * v;
    }
    if norm > 0.0 { along / norm } else { 0.0 }
}

/// A query's look-up tables: for each byte of codes, Σ q_j σ_j level_j over its four dimensions
/// for each of the 256 values the byte can take, in i16: a ranking needs no more, and the
/// tables take half the cache.
pub struct QueryTables {
    tables: Vec<[i16; 256]>,
    /// What an integer sum is times this to be a dot product.
    factor: f32,
}

impl QueryTables {
    pub fn new(query: &[f32], spreads: &[f32]) -> QueryTables {
        let weights: Vec<f32> = query.iter().zip(spreads).map(|(q, s)| q * s).collect();
        let exact: Vec<[f32; 256]> = weights
            .chunks(4)
            .map(|group| {
                let mut table = [0.0f32; 256];
                for (byte, entry) in table.iter_mut().enumerate() {
                    *entry = group
                        .iter()
                        .enumerate()
                        .map(|(i, w)| w * LEVELS[(byte >> (2 * i)) & 3])
                        .sum();
                }
                table
            })
            .collect();
        let largest = exact.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
        let factor = if largest > 0.0 {
            largest / f32::from(i16::MAX)
        } else {
            1.0
        };
        let tables = exact
            .iter()
            .map(|table| table.map(|x| (x / factor).round() as i16))
            .collect();
        QueryTables { tables, factor }
    }

    /// Σ q_j σ_j level_j for a row's codes.
    #[inline]
    pub fn sum(&self, codes: &[u8]) -> f32 {
        let total: i32 = self
            .tables
            .iter()
            .zip(codes)
            .map(|(table, &byte)| i32::from(table[usize::from(byte)]))
            .sum();
        total as f32 * self.factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_follows_the_true_product_and_the_tables_match_a_plain_sum() {
        let centroid = [0.5f32, 0.1, -0.2, 0.0, 0.3];
        let spreads = [0.2f32, 0.05, 0.1, 0.01, 0.2];
        let vector = [0.7f32, 0.05, -0.25, 0.001, 0.1];
        let mut codes = Vec::new();
        let alpha = encode(&vector, &centroid, &spreads, &mut codes);
        // r / σ: 1.0, −1.0, −0.5, 0.1, −1.0 → levels 2, 1, 1, 2 | 1.
        assert_eq!(codes, [0b10_01_01_10, 0b01]);
        assert!(alpha > 0.0);

        let query = [0.3f32, -0.2, 0.5, 0.1, 0.6];
        let tables = QueryTables::new(&query, &spreads);
        let levels = [2, 1, 1, 2, 1];
        let plain: f32 = (0..5).map(|j| query[j] * spreads[j] * LEVELS[levels[j]]).sum();
        assert!((tables.sum(&codes) - plain).abs() < 1e-4 * plain.abs().max(1e-3));

        // q·c + α Σ q σ level lands near q·x, much nearer than q·c alone.
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let truth = dot(&query, &vector);
        let estimate = dot(&query, &centroid) + alpha * tables.sum(&codes);
        assert!((estimate - truth).abs() < (dot(&query, &centroid) - truth).abs() / 4.0);
    }

    #[test]
    fn spreads_are_the_mean_distance_from_each_rows_centroid() {
        let centroids = [0.0f32, 0.0, 1.0, 1.0];
        let sample = [0.1f32, -0.3, 0.9, 1.1];
        let found = spreads(&sample, 2, &centroids, &[0, 1]);
        assert!(
            (found[0] - 0.1).abs() < 1e-6 && (found[1] - 0.2).abs() < 1e-6,
            "{found:?}"
        );
    }
}
