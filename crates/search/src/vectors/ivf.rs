//! The inverted-file partition of the vector file: spherical k-means centroids, each paper
//! filed under its nearest one, so a query reads the few lists nearest to it instead of all.
//!
//! Written here rather than taken from a crate: the maintained HNSW crates keep the graph in
//! memory (hundreds of MB at 2.8 M papers, against a 1 GiB budget for the whole server) and
//! cannot read a memory-mapped file, while IVF's lists are just a row order of the file.

use super::exact::dot;

/// How many lists for `count` papers: about √n, so a list and the centroid table are both
/// about √n long and a query's two costs stay balanced.
pub fn lists_for(count: usize) -> usize {
    ((count as f64).sqrt().round() as usize).clamp(1, 4_096)
}

/// How many lists a query reads by default: a quarter, for recall@100 of at least 0.95 against
/// an exact scan of the f32 vectors (0.962 at 1 M papers, where a twelfth gave 0.900; measured
/// with `paperboy-bench vectors`, docs/performance.md).
pub fn lists_to_probe(lists: usize) -> usize {
    (lists / 4).max(16).min(lists)
}

/// Rounds of k-means: centroids move little after this on paper embeddings.
const ROUNDS: usize = 10;

/// Spherical k-means over `sample` (unit vectors, `dimensions` long): `lists` unit centroids,
/// deterministic for the same input.
pub fn train(sample: &[f32], dimensions: usize, lists: usize) -> Vec<f32> {
    let count = sample.len() / dimensions;
    if count == 0 {
        return Vec::new();
    }
    let lists = lists.min(count);
    // Seeds spread evenly over the sample, which arrives in no particular order of topic.
    let mut centroids: Vec<f32> = (0..lists)
        .flat_map(|list| {
            let row = list * count / lists;
            sample[row * dimensions..(row + 1) * dimensions].iter().copied()
        })
        .collect();
    for _ in 0..ROUNDS {
        let assigned = assign_all(sample, dimensions, &centroids);
        let mut sums = vec![0.0f32; centroids.len()];
        let mut sizes = vec![0usize; lists];
        for (row, &list) in assigned.iter().enumerate() {
            let list = list as usize;
            sizes[list] += 1;
            let target = &mut sums[list * dimensions..(list + 1) * dimensions];
            for (sum, x) in target.iter_mut().zip(&sample[row * dimensions..(row + 1) * dimensions]) {
                *sum += x;
            }
        }
        for list in 0..lists {
            let centroid = &mut centroids[list * dimensions..(list + 1) * dimensions];
            if sizes[list] == 0 {
                // An empty list is given a new seed: the sample row its index points at.
                let row = (list * 7_919 + 13) % count;
                centroid.copy_from_slice(&sample[row * dimensions..(row + 1) * dimensions]);
                continue;
            }
            let sum = &sums[list * dimensions..(list + 1) * dimensions];
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
            for (c, s) in centroid.iter_mut().zip(sum) {
                *c = s / norm;
            }
        }
    }
    centroids
}

/// The nearest centroid of each vector in `vectors`, on all cores.
pub fn assign_all(vectors: &[f32], dimensions: usize, centroids: &[f32]) -> Vec<u32> {
    let count = vectors.len() / dimensions;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1));
    let per_thread = count.div_ceil(threads.max(1)).max(1);
    let mut assigned = vec![0u32; count];
    std::thread::scope(|scope| {
        for (chunk, out) in assigned.chunks_mut(per_thread).enumerate() {
            let start = chunk * per_thread;
            scope.spawn(move || {
                for (offset, slot) in out.iter_mut().enumerate() {
                    let row = start + offset;
                    *slot = nearest_list(
                        &vectors[row * dimensions..(row + 1) * dimensions],
                        centroids,
                        dimensions,
                    );
                }
            });
        }
    });
    assigned
}

fn nearest_list(vector: &[f32], centroids: &[f32], dimensions: usize) -> u32 {
    let mut best = (f32::NEG_INFINITY, 0u32);
    for (list, centroid) in centroids.chunks_exact(dimensions).enumerate() {
        let score = dot(vector, centroid);
        if score > best.0 {
            best = (score, list as u32);
        }
    }
    best.1
}

/// Each list's centroid scored against `query`.
pub fn centroid_scores(query: &[f32], centroids: &[f32], dimensions: usize) -> Vec<f32> {
    centroids
        .chunks_exact(dimensions)
        .map(|centroid| dot(query, centroid))
        .collect()
}

/// Lists in the order a query should read them, by their [`centroid_scores`]: nearest first.
pub fn lists_by_nearness(centroid_scores: &[f32]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..centroid_scores.len() as u32).collect();
    order.sort_by(|&a, &b| {
        centroid_scores[b as usize]
            .total_cmp(&centroid_scores[a as usize])
            .then(a.cmp(&b))
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_clear_groups_and_files_each_vector_under_its_own() {
        // Two tight groups around the x and y axes.
        let mut sample = Vec::new();
        for i in 0..20 {
            let wobble = i as f32 * 0.01;
            let (a, b) = if i % 2 == 0 { (1.0, wobble) } else { (wobble, 1.0) };
            let norm: f32 = (a * a + b * b).sqrt();
            sample.extend([a / norm, b / norm]);
        }
        let centroids = train(&sample, 2, 2);
        let assigned = assign_all(&sample, 2, &centroids);
        assert_ne!(assigned[0], assigned[1], "the two groups get different lists");
        assert!(assigned.iter().step_by(2).all(|&l| l == assigned[0]));
        assert!(assigned.iter().skip(1).step_by(2).all(|&l| l == assigned[1]));
        assert_eq!(train(&sample, 2, 2), centroids, "deterministic");
        assert_eq!(
            lists_by_nearness(&centroid_scores(&[0.0, 1.0], &centroids, 2))[0],
            assigned[1]
        );
        assert_eq!(lists_for(1_000_000), 1_000);
        assert_eq!(lists_to_probe(4), 4);
    }
}
