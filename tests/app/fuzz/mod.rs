//! Fuzzing the parsers and the web surface with mutations of real inputs.
//!
//! cargo-fuzz's sanitizers want a nightly compiler (its reduced `--sanitizer none` mode may build
//! on stable; it was not tried), so these targets are plain tests, run on every `cargo test`,
//! driven by a small mutation engine of our own: it starts from real recorded inputs (the
//! fixtures), mutates them byte by byte and with tokens of each format, and keeps a mutant that
//! made the target behave in a way not seen before, so later mutants build on it.
//!
//! Each target runs for `PAPERBOY_FUZZ_SECONDS` (2 by default, so CI runs them all quickly); the
//! README's "Hardening" has the command for the long runs.
//!
//! A target that panics, or finds a property broken, saves the input under
//! `target/tmp/fuzz-crashes/<target>/` and fails with its path. Kept in
//! `fixtures/fuzz-regressions/<target>/`, it is replayed first on every run from then on.

mod parsers;
mod web;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::helpers::fixture;

/// What a fuzz target starts from.
pub struct Target {
    pub name: &'static str,
    /// Real inputs of the format.
    pub seeds: Vec<Vec<u8>>,
    /// Pieces of the format worth inserting whole (tags, keywords, escapes).
    pub dictionary: &'static [&'static str],
}

/// The mutants kept at most; past it, new ones replace old ones at random.
const MAX_CORPUS: usize = 2_000;

/// Runs `check` on the saved regressions, the seeds and then mutants of them until the time is
/// up. `check` panics when a property fails and otherwise says in a few words what the input did
/// (kinds of outcome, counts in coarse buckets): a mutant that did something new is kept.
pub fn fuzz(target: Target, mut check: impl FnMut(&[u8]) -> String) {
    let budget = Duration::from_secs_f64(
        std::env::var("PAPERBOY_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0),
    );
    let seed: u64 = std::env::var("PAPERBOY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut rng = Rng((seed ^ fnv(target.name.as_bytes())) | 1);
    let mut run = |input: &[u8]| -> String {
        match catch_unwind(AssertUnwindSafe(|| check(input))) {
            Ok(behaviour) => behaviour,
            Err(panic) => {
                let path = save_crash(target.name, input);
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "fuzz target {} failed ({reason}) on the input saved at {} (PAPERBOY_FUZZ_SEED={seed}); \
                     copy it into fixtures/fuzz-regressions/{}/ to keep it as a regression test",
                    target.name,
                    path.display(),
                    target.name
                );
            }
        }
    };
    let mut seen = HashSet::new();
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    for input in regressions(target.name).into_iter().chain(target.seeds) {
        seen.insert(run(&input));
        corpus.push(input);
    }
    assert!(!corpus.is_empty(), "fuzz target {} has no seeds", target.name);
    let started = Instant::now();
    let mut runs: u64 = 0;
    while started.elapsed() < budget {
        let parent = &corpus[rng.below(corpus.len())];
        let other = &corpus[rng.below(corpus.len())];
        let mutant = mutate(&mut rng, parent, other, target.dictionary);
        runs += 1;
        if seen.insert(run(&mutant)) {
            if corpus.len() < MAX_CORPUS {
                corpus.push(mutant);
            } else {
                let replaced = rng.below(corpus.len());
                corpus[replaced] = mutant;
            }
        }
    }
    eprintln!(
        "fuzz {}: {runs} inputs in {:.0?}, {} kinds of behaviour, corpus {}",
        target.name,
        started.elapsed(),
        seen.len(),
        corpus.len()
    );
}

/// The longest run of one token a mutation puts in: past the search box's 500 characters.
const MAX_CHAIN: usize = 600;

/// A mutant of `input`: one to four edits, each a byte changed, inserted or deleted, a stretch
/// deleted, copied or cut off, a token of the format put in once or as a long chain, or a splice
/// with `other`.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], dictionary: &[&str]) -> Vec<u8> {
    const TELLING_BYTES: &[u8] = b"\0\x7f\x80\xc3\xff<>&\"'\\/\n\r\t ;:=%+#?[]{},-0123456789";
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(11) {
            0 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] = TELLING_BYTES[rng.below(TELLING_BYTES.len())];
            }
            2 => {
                let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            3 | 4 if !data.is_empty() => {
                let end = (at + 1 + rng.below(32)).min(data.len());
                data.drain(at.min(end)..end);
            }
            5 if !data.is_empty() => {
                let start = rng.below(data.len());
                let end = (start + 1 + rng.below(64)).min(data.len());
                let copy = data[start..end].to_vec();
                data.splice(at..at, copy);
            }
            6 | 7 if !dictionary.is_empty() => {
                let token = dictionary[rng.below(dictionary.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            // A chain: one token of the format many times over (`------x`, `((((`, nested tags),
            // which is how a parser that recurses once per token runs out of stack.
            9 if !dictionary.is_empty() => {
                let token = dictionary[rng.below(dictionary.len())].as_bytes();
                let chain = token.repeat(2 + rng.below(MAX_CHAIN));
                data.splice(at..at, chain);
            }
            8 => {
                let cut = rng.below(other.len() + 1);
                data.truncate(at);
                data.extend_from_slice(&other[cut..]);
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn regressions(target: &str) -> Vec<Vec<u8>> {
    let dir = fixture(&format!("fixtures/fuzz-regressions/{target}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|file| std::fs::read(file).unwrap()).collect()
}

fn save_crash(target: &str, input: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-crashes")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:016x}", fnv(input)));
    std::fs::write(&path, input).unwrap();
    path
}

/// Counts as a behaviour: 0, 1, 2–3, 4–7, … so that a count's exact value is not news.
pub fn bucket(count: usize) -> u32 {
    usize::BITS - count.leading_zeros()
}

/// The first words of an error, without the numbers, names and quoted parts that vary with the
/// input: only plain lower-case words count, so that one kind of error is one behaviour.
pub fn kind_of(message: &str) -> String {
    let mut quoted = false;
    let mut kind: Vec<&str> = Vec::new();
    for word in message.split_whitespace() {
        let quotes = word.matches(['"', '`']).count();
        let plain = word.trim_end_matches([':', ',', '.']);
        if !quoted && quotes == 0 && !plain.is_empty() && plain.bytes().all(|b| b.is_ascii_lowercase()) {
            kind.push(plain);
        }
        quoted ^= quotes % 2 == 1;
        if kind.len() == 6 {
            break;
        }
    }
    kind.join(" ")
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// A small, seeded random generator (xorshift*, never seeded with 0): the same seed makes the
/// same mutants.
pub struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// The engine itself: it must find a bug planted two edits away from its seed, save the input,
/// and say where; and its kinds of error must ignore what varies with the input.
#[test]
fn the_engine_finds_a_planted_bug_and_keeps_the_input() {
    let target = Target {
        name: "planted",
        seeds: vec![b"<entry><id>2503.11677</id></entry>".to_vec()],
        dictionary: &["</id>", "&amp;"],
    };
    let failed = catch_unwind(|| {
        fuzz(target, |input| {
            let text = String::from_utf8_lossy(input);
            assert!(!(text.contains("&amp;</id>") && text.contains('\u{fffd}')), "planted");
            text.len().to_string()
        })
    })
    .expect_err("the planted bug is found within the time");
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("fuzz target planted failed (planted)"), "{message}");
    let saved = message.split("saved at ").nth(1).unwrap().split(' ').next().unwrap();
    let input = std::fs::read(saved).unwrap();
    assert!(String::from_utf8_lossy(&input).contains("&amp;</id>"));
    std::fs::remove_file(saved).unwrap();

    assert_eq!(
        kind_of("fuzz: unexpected end of element <entry> at line 3, column 17"),
        kind_of("fuzz: unexpected end of element <title> at line 90, column 2")
    );
    assert_eq!(kind_of("record 4 (id \"25x\"): missing \"title\""), "record missing");
    assert_eq!((bucket(0), bucket(1), bucket(3), bucket(4)), (0, 1, 2, 3));
}
