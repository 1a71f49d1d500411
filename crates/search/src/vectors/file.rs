//! The vector file: one model's embedding of every paper, quantised to int8 and memory-mapped,
//! in inverted-file order (the papers of one k-means list side by side), so a query reads a
//! few lists of the file and the operating system keeps in memory only what queries touch.
//!
//! It is a cache of the database, written to a temporary name and renamed into place whole: a
//! crash while building leaves the old file or none, never half of one.
//!
//! Quantisation is per dimension (component j is stored as round(x_j / s_j), s_j the largest
//! |x_j| of a sample over 127): the distilled model's PCA dimensions differ in spread by an order
//! of magnitude, and one scale a vector cost 2.6 points of recall@100 at 1 M papers.
//!
//! Past [`EXACT_SCAN_LIMIT`](super::EXACT_SCAN_LIMIT) papers a query scans the lists' two-bit
//! residual codes ([`residuals`]) and reads the int8 codes of its best candidates only, with
//! `pread` rather than through the map: scanning the int8 codes made every page of them resident
//! (769 MB at 2.8 M papers, 1.1 GB RSS with the keyword index), while the residual codes are 68
//! bytes a paper and what rescoring reads is page cache the kernel may drop.
//!
//! Layout (little-endian), each section 8-byte aligned:
//! `MAGIC`, centroids (f32, lists × dimensions), list starts (u32, lists + 1), scales (f32, one
//! a dimension), spreads (f32, one a dimension, for the residual codes), codes (i8, dimensions a
//! row), residual codes (dimensions / 4 bytes a row), their scales (f32, one a row), id ends
//! (u32, one a row), id bytes, rows by id (u32: the rows in id order, for lookups), the header
//! as JSON, its length (u32), `END`.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use super::exact::TopK;
use super::{ivf, residuals, simd};
use crate::index::Hit;

const MAGIC: &[u8; 8] = b"PBVECS03";
const END: &[u8; 8] = b"PBVECEND";

/// The file of `model`'s vectors in `dir`.
pub fn path_for(dir: &Path, model: &str) -> PathBuf {
    dir.join(format!("{model}.vectors"))
}

/// Whether `path`, in a directory of vector files, belongs to a model other than `model`: its
/// vector file, or what a build of it that was killed left (spill, temporary file, residual
/// codes: gigabytes at 2.8 M papers).
pub fn is_another_models(path: &Path, model: &str) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    let ours = name.strip_prefix(model).is_some_and(|rest| rest.starts_with('.'));
    !ours && (name.ends_with(".vectors") || name.ends_with(".tmp"))
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Header {
    model: String,
    dimensions: usize,
    count: usize,
    lists: usize,
    /// The last embedding (by the database's write order) the file holds.
    position: i64,
    centroids_at: usize,
    list_starts_at: usize,
    scales_at: usize,
    spreads_at: usize,
    codes_at: usize,
    residuals_at: usize,
    alphas_at: usize,
    id_ends_at: usize,
    id_bytes_at: usize,
    by_id_at: usize,
}

pub struct VectorFile {
    map: Mmap,
    /// The same file, for reading a candidate's int8 codes without mapping their page.
    file: File,
    header: Header,
    centroids: Vec<f32>,
    list_starts: Vec<u32>,
    scales: Vec<f32>,
    spreads: Vec<f32>,
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl VectorFile {
    /// Opens the file at `path` if it holds `model`'s vectors of `dimensions`; any other file
    /// (another model, a truncated or foreign one) is an `InvalidData` error saying why.
    pub fn open(path: &Path, model: &str, dimensions: usize) -> io::Result<VectorFile> {
        let file = File::open(path)?;
        // SAFETY: the file is only ever replaced by a rename, never written in place, so the
        // mapped bytes do not change under us.
        let map = unsafe { Mmap::map(&file)? };
        let len = map.len();
        if len < 20 || &map[..8] != MAGIC || &map[len - 8..] != END {
            return Err(invalid(format!("{} is not a complete vector file", path.display())));
        }
        let header_len = u32::from_le_bytes(map[len - 12..len - 8].try_into().expect("4 bytes")) as usize;
        let header_at = (len - 12)
            .checked_sub(header_len)
            .ok_or_else(|| invalid("the vector file's header is cut off"))?;
        let header: Header = serde_json::from_slice(&map[header_at..len - 12])
            .map_err(|e| invalid(format!("the vector file's header is unreadable: {e}")))?;
        if header.model != model || header.dimensions != dimensions {
            return Err(invalid(format!(
                "the vector file holds {} ({} dimensions), not {model} ({dimensions})",
                header.model, header.dimensions
            )));
        }
        let (count, d) = (header.count, header.dimensions);
        let sections_fit = header.centroids_at + header.lists * d * 4 <= header.list_starts_at
            && header.list_starts_at + (header.lists + 1) * 4 <= header.scales_at
            && header.scales_at + d * 4 <= header.spreads_at
            && header.spreads_at + d * 4 <= header.codes_at
            && header.codes_at + count * d <= header.residuals_at
            && header.residuals_at + count * residuals::bytes_for(d) <= header.alphas_at
            && header.alphas_at + count * 4 <= header.id_ends_at
            && header.id_ends_at + count * 4 <= header.id_bytes_at
            && header.by_id_at + count * 4 <= header_at;
        if !sections_fit {
            return Err(invalid("the vector file's sections overlap"));
        }
        let centroids = read_f32s(&map[header.centroids_at..], header.lists * d);
        let scales = read_f32s(&map[header.scales_at..], d);
        let spreads = read_f32s(&map[header.spreads_at..], d);
        let list_starts: Vec<u32> = (0..=header.lists)
            .map(|i| u32_at(&map, header.list_starts_at + i * 4))
            .collect();
        if list_starts.last().copied() != Some(count as u32) {
            return Err(invalid("the vector file's lists do not add up"));
        }
        Ok(VectorFile {
            map,
            file,
            header,
            centroids,
            list_starts,
            scales,
            spreads,
        })
    }

    pub fn len(&self) -> usize {
        self.header.count
    }

    pub fn is_empty(&self) -> bool {
        self.header.count == 0
    }

    pub fn lists(&self) -> usize {
        self.header.lists
    }

    /// The last embedding the file holds, by the database's write order.
    pub fn position(&self) -> i64 {
        self.header.position
    }

    pub fn size_on_disk(&self) -> u64 {
        self.map.len() as u64
    }

    fn id(&self, row: usize) -> &str {
        let start = if row == 0 {
            0
        } else {
            u32_at(&self.map, self.header.id_ends_at + (row - 1) * 4) as usize
        };
        let end = u32_at(&self.map, self.header.id_ends_at + row * 4) as usize;
        let bytes = &self.map[self.header.id_bytes_at + start..self.header.id_bytes_at + end];
        std::str::from_utf8(bytes).unwrap_or("")
    }

    /// The row of paper `id`, by binary search over the rows in id order.
    pub fn row_of(&self, id: &str) -> Option<usize> {
        let (mut low, mut high) = (0, self.header.count);
        while low < high {
            let middle = (low + high) / 2;
            let row = u32_at(&self.map, self.header.by_id_at + middle * 4) as usize;
            match self.id(row).cmp(id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(row),
            }
        }
        None
    }

    /// The int8 codes of `row`, read from the file (see the module's note on memory).
    fn read_codes(&self, row: usize, codes: &mut Vec<u8>) -> io::Result<()> {
        let d = self.header.dimensions;
        codes.resize(d, 0);
        self.file.read_exact_at(codes, (self.header.codes_at + row * d) as u64)
    }

    /// The stored (dequantised) vector of `row`.
    pub fn vector(&self, row: usize) -> io::Result<Vec<f32>> {
        let mut codes = Vec::new();
        self.read_codes(row, &mut codes)?;
        Ok(codes
            .iter()
            .zip(&self.scales)
            .map(|(&c, s)| f32::from(c as i8) * s)
            .collect())
    }

    /// The query with each component times its dimension's scale (so that its dot product
    /// with a row's codes is the dot product with the row's vector), in i16, with the factor
    /// that turns an integer score back into a dot product.
    fn quantised_query(&self, query: &[f32]) -> (Vec<i16>, f32) {
        let scaled: Vec<f32> = query.iter().zip(&self.scales).map(|(q, s)| q * s).collect();
        let largest = scaled.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        // 16,383 leaves room: 384 products of 16,383 × 127 still fit an i32.
        let factor = if largest > 0.0 { largest / 16_383.0 } else { 1.0 };
        (scaled.iter().map(|x| (x / factor).round() as i16).collect(), factor)
    }

    /// The `k` papers nearest `query` whose ids `accept`, by the int8 codes of every row: for
    /// files small enough that this takes a few milliseconds.
    pub fn nearest_exact(&self, query: &[f32], k: usize, accept: &dyn Fn(&str) -> bool) -> Vec<Hit> {
        if query.len() != self.header.dimensions || k == 0 {
            return Vec::new();
        }
        let mut best = TopK::new(k);
        let (quantised, factor) = self.quantised_query(query);
        let codes = &self.map[self.header.codes_at..self.header.codes_at + self.header.count * self.header.dimensions];
        let mut scores = Vec::new();
        simd::dot_rows(&quantised, codes, &mut scores);
        for (row, &score) in scores.iter().enumerate() {
            let score = score as f32 * factor;
            if best.admits(score) && accept(self.id(row)) {
                best.push(score, row);
            }
        }
        best.into_hits(|row| self.id(row).to_owned())
    }

    /// Each list's centroid score for `query`, and the tables that estimate a row by its
    /// residual codes.
    fn estimator(&self, query: &[f32]) -> (Vec<f32>, residuals::QueryTables) {
        (
            ivf::centroid_scores(query, &self.centroids, self.header.dimensions),
            residuals::QueryTables::new(query, &self.spreads),
        )
    }

    fn residuals_of(&self, rows: std::ops::Range<usize>) -> (&[u8], &[u8]) {
        let bytes = residuals::bytes_for(self.header.dimensions);
        (
            &self.map[self.header.residuals_at + rows.start * bytes..self.header.residuals_at + rows.end * bytes],
            &self.map[self.header.alphas_at + rows.start * 4..self.header.alphas_at + rows.end * 4],
        )
    }

    /// The `k` papers nearest `query` whose ids `accept`: the residual codes of the `probe` lists
    /// whose centroids are nearest (and of further lists while fewer than `k` were accepted, so
    /// a filter that rejects most papers still fills the page) pick the best `candidates`, and
    /// their int8 codes rank them.
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        probe: usize,
        candidates: usize,
        accept: &dyn Fn(&str) -> bool,
    ) -> io::Result<Vec<Hit>> {
        if query.len() != self.header.dimensions || k == 0 {
            return Ok(Vec::new());
        }
        let (centre_scores, tables) = self.estimator(query);
        let order = ivf::lists_by_nearness(&centre_scores);
        let mut picked = TopK::new(candidates.max(k));
        let bytes = residuals::bytes_for(self.header.dimensions);
        for (read, list) in order.into_iter().enumerate() {
            if read >= probe && picked.len() >= k {
                break;
            }
            let rows = self.list_starts[list as usize] as usize..self.list_starts[list as usize + 1] as usize;
            let centre = centre_scores[list as usize];
            let (residuals, alphas) = self.residuals_of(rows.clone());
            for ((row, residual), alpha) in rows.zip(residuals.chunks_exact(bytes)).zip(alphas.chunks_exact(4)) {
                let alpha = f32::from_le_bytes(alpha.try_into().expect("4 bytes"));
                let estimate = centre + alpha * tables.sum(residual);
                if picked.admits(estimate) && accept(self.id(row)) {
                    picked.push(estimate, row);
                }
            }
        }
        self.rescore(query, k, picked.into_rows())
    }

    /// The `k` of these papers nearest `query`, for filters that leave few: each is estimated
    /// by its residual codes, and the best `candidates` ranked by their int8 codes.
    pub fn nearest_among<'a>(
        &self,
        query: &[f32],
        k: usize,
        candidates: usize,
        ids: impl Iterator<Item = &'a str>,
        accept: &dyn Fn(&str) -> bool,
    ) -> io::Result<Vec<Hit>> {
        if query.len() != self.header.dimensions || k == 0 {
            return Ok(Vec::new());
        }
        let (centre_scores, tables) = self.estimator(query);
        let mut picked = TopK::new(candidates.max(k));
        for id in ids {
            let Some(row) = self.row_of(id) else { continue };
            // The list holding `row`: the last whose start is at or before it.
            let list = self.list_starts.partition_point(|&start| start as usize <= row) - 1;
            let (residual, alpha) = self.residuals_of(row..row + 1);
            let alpha = f32::from_le_bytes(alpha.try_into().expect("4 bytes"));
            let estimate = centre_scores[list] + alpha * tables.sum(residual);
            if picked.admits(estimate) && accept(id) {
                picked.push(estimate, row);
            }
        }
        self.rescore(query, k, picked.into_rows())
    }

    /// The best `k` of `rows` by their int8 codes, read in file order.
    fn rescore(&self, query: &[f32], k: usize, mut rows: Vec<usize>) -> io::Result<Vec<Hit>> {
        rows.sort_unstable();
        let (quantised, factor) = self.quantised_query(query);
        let (mut codes, mut score) = (Vec::new(), Vec::with_capacity(1));
        let mut best = TopK::new(k);
        for row in rows {
            self.read_codes(row, &mut codes)?;
            simd::dot_rows(&quantised, &codes, &mut score);
            best.push(score[0] as f32 * factor, row);
        }
        Ok(best.into_hits(|row| self.id(row).to_owned()))
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn read_f32s(bytes: &[u8], count: usize) -> Vec<f32> {
    bytes[..count * 4]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect()
}

/// Each dimension's scale: its largest magnitude in `sample` maps to 127.
fn scales_of(sample: &[f32], dimensions: usize) -> Vec<f32> {
    let mut largest = vec![0.0f32; dimensions];
    for vector in sample.chunks_exact(dimensions) {
        for (m, x) in largest.iter_mut().zip(vector) {
            *m = m.max(x.abs());
        }
    }
    largest
        .into_iter()
        .map(|m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect()
}

/// Symmetric int8 codes by dimension; components beyond the sample's range are clamped.
fn quantise(vector: &[f32], scales: &[f32], codes: &mut Vec<u8>) {
    codes.clear();
    codes.extend(
        vector
            .iter()
            .zip(scales)
            .map(|(x, s)| (x / s).round().clamp(-127.0, 127.0) as i8 as u8),
    );
}

/// Vectors kept for training the lists: enough for ~30 a list at 2.8 M papers, and 50 MB at
/// most of 256-dimensional vectors.
const SAMPLE_LIMIT: usize = 50_000;

/// Writes a vector file from vectors pushed one at a time (any order; a paper pushed twice
/// keeps its last vector), holding little more than a sample of them in memory: rows go to a
/// spill file as they are (f32), and `finish` quantises them and orders them into lists.
pub struct VectorFileBuilder {
    target: PathBuf,
    spill_path: PathBuf,
    spill: BufWriter<File>,
    model: String,
    dimensions: usize,
    /// Where each row starts in the spill file.
    offsets: Vec<u64>,
    written: u64,
    sample: Vec<f32>,
    random: u64,
}

impl VectorFileBuilder {
    /// Starts `model`'s file in `dir`, clearing what an interrupted build left.
    pub fn create(dir: &Path, model: &str, dimensions: usize) -> io::Result<VectorFileBuilder> {
        fs::create_dir_all(dir)?;
        let target = path_for(dir, model);
        let spill_path = target.with_extension("spill.tmp");
        let spill = BufWriter::with_capacity(1 << 20, File::create(&spill_path)?);
        Ok(VectorFileBuilder {
            target,
            spill_path,
            spill,
            model: model.to_owned(),
            dimensions,
            offsets: Vec::new(),
            written: 0,
            sample: Vec::new(),
            random: 0x9E37_79B9_7F4A_7C15,
        })
    }

    /// Adds a paper's vector; one of the wrong length is refused (false).
    pub fn push(&mut self, id: &str, vector: &[f32]) -> io::Result<bool> {
        if vector.len() != self.dimensions || id.len() > usize::from(u16::MAX) {
            return Ok(false);
        }
        self.offsets.push(self.written);
        self.spill.write_all(&(id.len() as u16).to_le_bytes())?;
        self.spill.write_all(id.as_bytes())?;
        for x in vector {
            self.spill.write_all(&x.to_le_bytes())?;
        }
        self.written += (2 + id.len() + 4 * self.dimensions) as u64;
        // Reservoir sampling with a fixed seed: the same pushes give the same sample.
        let seen = self.offsets.len();
        if seen <= SAMPLE_LIMIT {
            self.sample.extend_from_slice(vector);
        } else {
            self.random ^= self.random << 13;
            self.random ^= self.random >> 7;
            self.random ^= self.random << 17;
            let slot = (self.random % seen as u64) as usize;
            if slot < SAMPLE_LIMIT {
                let d = self.dimensions;
                self.sample[slot * d..(slot + 1) * d].copy_from_slice(vector);
            }
        }
        Ok(true)
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Trains the lists, writes the file in list order under a temporary name, syncs it and
    /// renames it into place; `position` is the last embedding pushed, by write order.
    pub fn finish(mut self, position: i64) -> io::Result<VectorFile> {
        self.spill.flush()?;
        let spill_file = File::open(&self.spill_path)?;
        // SAFETY: the spill file is ours alone and no longer written.
        let spill = unsafe { Mmap::map(&spill_file)? };
        let d = self.dimensions;
        let row_id = |row: usize| -> &str {
            let at = self.offsets[row] as usize;
            let len = usize::from(u16::from_le_bytes([spill[at], spill[at + 1]]));
            std::str::from_utf8(&spill[at + 2..at + 2 + len]).unwrap_or("")
        };
        let row_vector = |row: usize| -> Vec<f32> {
            let at = self.offsets[row] as usize + 2 + row_id(row).len();
            read_f32s(&spill[at..], d)
        };

        // Rows in id order; of a paper pushed twice only the last push stays.
        let mut by_id: Vec<u32> = (0..self.offsets.len() as u32).collect();
        by_id.sort_by(|&a, &b| row_id(a as usize).cmp(row_id(b as usize)).then(a.cmp(&b)));
        by_id.dedup_by(|later, earlier| {
            let same = row_id(*later as usize) == row_id(*earlier as usize);
            if same {
                *earlier = *later;
            }
            same
        });
        let count = by_id.len();

        let lists = if count == 0 { 0 } else { ivf::lists_for(count) };
        let sample_rows = self.sample.len() / d.max(1);
        let centroids = ivf::train(&self.sample, d, lists.min(sample_rows));
        let lists = centroids.len() / d.max(1);
        let scales = scales_of(&self.sample, d);
        let spreads = residuals::spreads(
            &self.sample,
            d,
            &centroids,
            &ivf::assign_all(&self.sample, d, &centroids),
        );
        drop(std::mem::take(&mut self.sample));

        // Each kept row's list, a block of rows at a time.
        let mut assigned = Vec::with_capacity(count);
        for block in by_id.chunks(16_384) {
            let vectors: Vec<f32> = block.iter().flat_map(|&row| row_vector(row as usize)).collect();
            assigned.extend(ivf::assign_all(&vectors, d, &centroids));
        }
        // Counting sort into list order; `list_starts[l]` is where list `l` begins.
        let mut list_starts = vec![0u32; lists + 1];
        for &list in &assigned {
            list_starts[list as usize + 1] += 1;
        }
        for list in 0..lists {
            list_starts[list + 1] += list_starts[list];
        }
        let mut next = list_starts.clone();
        let mut file_order = vec![0u32; count]; // file row → spill row
        let mut file_row_of_sorted = vec![0u32; count]; // id rank → file row
        for (rank, (&row, &list)) in by_id.iter().zip(&assigned).enumerate() {
            let slot = next[list as usize];
            next[list as usize] += 1;
            file_order[slot as usize] = row;
            file_row_of_sorted[rank] = slot;
        }

        let temporary = self.target.with_extension("vectors.tmp");
        let mut out = Section::new(BufWriter::with_capacity(1 << 20, File::create(&temporary)?));
        out.write(MAGIC)?;
        let mut header = Header {
            model: self.model.clone(),
            dimensions: d,
            count,
            lists,
            position,
            centroids_at: out.align()?,
            list_starts_at: 0,
            scales_at: 0,
            spreads_at: 0,
            codes_at: 0,
            residuals_at: 0,
            alphas_at: 0,
            id_ends_at: 0,
            id_bytes_at: 0,
            by_id_at: 0,
        };
        for value in &centroids {
            out.write(&value.to_le_bytes())?;
        }
        header.list_starts_at = out.align()?;
        for start in &list_starts {
            out.write(&start.to_le_bytes())?;
        }
        header.scales_at = out.align()?;
        for scale in &scales {
            out.write(&scale.to_le_bytes())?;
        }
        header.spreads_at = out.align()?;
        for spread in &spreads {
            out.write(&spread.to_le_bytes())?;
        }
        // The residual codes go to a file of their own meanwhile, to follow the int8 codes
        // without a second pass over the spill or all of them in memory (190 MB at 2.8 M).
        let residuals_path = self.target.with_extension("residuals.tmp");
        let mut residuals_out = BufWriter::with_capacity(1 << 20, File::create(&residuals_path)?);
        let mut alphas = Vec::with_capacity(count);
        header.codes_at = out.align()?;
        let (mut codes, mut residual) = (Vec::with_capacity(d), Vec::new());
        for (list, rows) in list_starts.windows(2).enumerate() {
            let centroid = &centroids[list * d..(list + 1) * d];
            for &row in &file_order[rows[0] as usize..rows[1] as usize] {
                let vector = row_vector(row as usize);
                quantise(&vector, &scales, &mut codes);
                out.write(&codes)?;
                alphas.push(residuals::encode(&vector, centroid, &spreads, &mut residual));
                residuals_out.write_all(&residual)?;
            }
        }
        drop(residuals_out.into_inner().map_err(io::Error::other)?);
        header.residuals_at = out.align()?;
        io::copy(&mut File::open(&residuals_path)?, &mut out.inner)?;
        out.at += count * residuals::bytes_for(d);
        header.alphas_at = out.align()?;
        for alpha in &alphas {
            out.write(&alpha.to_le_bytes())?;
        }
        let _ = fs::remove_file(&residuals_path);
        header.id_ends_at = out.align()?;
        let mut end = 0u32;
        for &row in &file_order {
            end += row_id(row as usize).len() as u32;
            out.write(&end.to_le_bytes())?;
        }
        header.id_bytes_at = out.align()?;
        for &row in &file_order {
            out.write(row_id(row as usize).as_bytes())?;
        }
        header.by_id_at = out.align()?;
        for file_row in &file_row_of_sorted {
            out.write(&file_row.to_le_bytes())?;
        }
        let header_json = serde_json::to_vec(&header).map_err(io::Error::other)?;
        out.write(&header_json)?;
        out.write(&(header_json.len() as u32).to_le_bytes())?;
        out.write(END)?;
        let file = out.into_inner().into_inner().map_err(io::Error::other)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temporary, &self.target)?;
        if let Some(dir) = self.target.parent() {
            File::open(dir)?.sync_all()?;
        }
        drop(spill);
        let _ = fs::remove_file(&self.spill_path);
        VectorFile::open(&self.target, &self.model, d)
    }
}

/// A writer that knows its position, for section offsets.
struct Section<W: Write> {
    inner: W,
    at: usize,
}

impl<W: Write> Section<W> {
    fn new(inner: W) -> Section<W> {
        Section { inner, at: 0 }
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.at += bytes.len();
        Ok(())
    }

    /// Pads to a multiple of 8 and returns the position.
    fn align(&mut self) -> io::Result<usize> {
        let padding = (8 - self.at % 8) % 8;
        self.write(&[0u8; 8][..padding])?;
        Ok(self.at)
    }

    fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::unit;

    /// Pseudo-random unit vectors, the same every run.
    fn vectors(count: usize, d: usize) -> Vec<Vec<f32>> {
        let mut state = 12345u64;
        (0..count)
            .map(|_| {
                let raw: Vec<f32> = (0..d)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
                    })
                    .collect();
                unit(&raw)
            })
            .collect()
    }

    #[test]
    fn a_built_file_finds_what_an_exact_scan_finds_and_keeps_the_last_push() {
        let dir = tempfile::tempdir().unwrap();
        let d = 16;
        let all = vectors(3_000, d);
        let mut builder = VectorFileBuilder::create(dir.path(), "m", d).unwrap();
        for (i, v) in all.iter().enumerate() {
            builder.push(&format!("p{i:05}"), v).unwrap();
        }
        // p00007 is pushed again with p00008's vector: the file keeps that one.
        builder.push("p00007", &all[8]).unwrap();
        assert!(!builder.push("short", &[1.0]).unwrap());
        let file = builder.finish(42).unwrap();
        assert_eq!((file.len(), file.position(), file.lists()), (3_000, 42, 55));
        assert!(!dir.path().join("m.spill.tmp").exists() && !dir.path().join("m.vectors.tmp").exists());

        let seven = file.vector(file.row_of("p00007").unwrap()).unwrap();
        assert!(seven.iter().zip(&all[8]).all(|(a, b)| (a - b).abs() < 0.01));
        assert_eq!(file.row_of("nope"), None);

        // Reading every list is an exact scan up to quantisation: the same top ten.
        let query = &all[100];
        let exact: Vec<String> = {
            let mut scored: Vec<(f32, String)> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 7)
                .map(|(i, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum(), format!("p{i:05}")))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            scored.into_iter().take(10).map(|(_, id)| id).collect()
        };
        let not_seven = |id: &str| id != "p00007";
        let ids = |hits: Vec<Hit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(ids(file.nearest_exact(query, 10, &not_seven)), exact);
        // So is ranking every row of every list by its int8 codes.
        let everything = file.nearest(query, 10, file.lists(), 3_000, &not_seven).unwrap();
        assert_eq!(ids(everything), exact);
        // The residual codes pick candidates well: 80 of them hold most of the best ten.
        let picked = ids(file.nearest(query, 10, file.lists(), 80, &not_seven).unwrap());
        let kept = picked.iter().filter(|id| exact.contains(id)).count();
        assert!(kept >= 8, "{kept} of the best ten among 80 candidates");

        // A filter that leaves few papers still fills the page from further lists.
        let few = |id: &str| id.ends_with('0') && id < "p00400";
        let hits = file.nearest(query, 10, 1, 80, &few).unwrap();
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|h| few(&h.id)));
        let few_ids: Vec<String> = (0..400).step_by(10).map(|i| format!("p{i:05}")).collect();
        let among = file.nearest_among(query, 10, 40, few_ids.iter().map(String::as_str), &|_| true);
        assert_eq!(ids(among.unwrap()), ids(file.nearest_exact(query, 10, &few)));

        // Reopened, and refused for another model or a cut-off file.
        let path = path_for(dir.path(), "m");
        assert_eq!(VectorFile::open(&path, "m", d).unwrap().len(), 3_000);
        assert!(VectorFile::open(&path, "other", d).is_err());
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(VectorFile::open(&path, "m", d).is_err());
    }

    #[test]
    fn another_models_files_are_told_from_this_ones() {
        let dir = Path::new("/data/search-vectors");
        for name in [
            "m-static8-0a1b2c3d.vectors",
            "m-static8-0a1b2c3d.spill.tmp",
            "m2.residuals.tmp",
        ] {
            assert!(is_another_models(&dir.join(name), "m"), "{name}");
        }
        for name in [
            "m.vectors",
            "m.spill.tmp",
            "m.vectors.tmp",
            "m.residuals.tmp",
            "notes.txt",
        ] {
            assert!(!is_another_models(&dir.join(name), "m"), "{name}");
        }
    }

    #[test]
    fn an_empty_file_answers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = VectorFileBuilder::create(dir.path(), "m", 4)
            .unwrap()
            .finish(0)
            .unwrap();
        assert!(file.is_empty());
        let query = unit(&[1.0, 0.0, 0.0, 0.0]);
        assert!(file.nearest(&query, 5, 1, 40, &|_| true).unwrap().is_empty());
        assert!(file.nearest_exact(&query, 5, &|_| true).is_empty());
    }
}
