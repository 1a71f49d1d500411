//! The embedding side of search: papers embedded in sweeps, embeddings followed into memory,
//! and the vector file built from the database and taken up again at the next start.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use paperboy_embed::{Embedder, ModelKind, paper_text};
use paperboy_search::vectors::file::{is_another_models, path_for};
use paperboy_search::{VectorFile, VectorFileBuilder, VectorIndex};

use super::Search;

/// Embeddings read from the database at a time, following or building the vector file.
const EMBEDDING_BATCH: u32 = 5_000;
/// The vector file is rebuilt once more vectors than this, and than an eighth of the file,
/// are held in memory because they came after it: the file grows geometrically, and memory
/// holds at most ~12 % of the vectors exactly.
const FRESH_VECTORS_LIMIT: usize = 10_000;

/// Deletes the vector files of models other than `model` (left by a switch of model), and what
/// their killed builds left, on a blocking thread: the directory is read and files are unlinked.
async fn remove_other_vector_files(dir: &Path, model: &str) {
    let (dir, model) = (dir.to_path_buf(), model.to_owned());
    let removal = tokio::task::spawn_blocking(move || {
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if is_another_models(&path, &model)
                && let Err(error) = std::fs::remove_file(&path)
            {
                tracing::warn!(%error, path = %path.display(), "removing an old vector file failed");
            }
        }
    });
    if let Err(error) = removal.await {
        tracing::warn!(%error, "removing old vector files stopped");
    }
}

/// Whether `dir` holds any vector file, read on a blocking thread.
async fn any_vector_file(dir: &Path) -> bool {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "vectors"))
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Where the search for papers without an embedding stands: it walks the papers by id in
/// batches, and starts again only once the change log shows a paper changed since.
#[derive(Default)]
pub(super) struct EmbedSweep {
    /// The last paper id of the sweep so far; `None` between sweeps.
    before: Option<String>,
    /// The change log's newest entry when this sweep began.
    started_at: i64,
    /// The same, for the last sweep that reached the end.
    complete_at: Option<i64>,
}

/// After a switch of model: the previous model and its vector file, which answer queries by
/// meaning until the new model has embedded every paper.
pub(super) struct Standby {
    embedder: Arc<Embedder>,
    vectors: Arc<RwLock<VectorIndex>>,
}

impl Search {
    /// Takes up the vector file left by an earlier run, when there is one for this model; any
    /// other (missing, another model's, cut off) is rebuilt in the background, and meanwhile
    /// the previous model's file answers, if there is one.
    pub(super) async fn open_vector_file(&mut self, model_dir: &Path) {
        let (Some(dir), Some(embedder)) = (&self.vectors_dir, &self.embedder) else {
            return;
        };
        let path = path_for(dir, embedder.name());
        let (name, dimensions) = (embedder.name().to_owned(), embedder.dimensions());
        let opened = tokio::task::spawn_blocking(move || VectorFile::open(&path, &name, dimensions)).await;
        match opened {
            Ok(Ok(file)) => {
                self.followed.store(file.position(), Ordering::SeqCst);
                self.vectors = Arc::new(RwLock::new(VectorIndex::with_file(dimensions, Arc::new(file))));
            }
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => self.open_standby(model_dir).await,
            Ok(Err(error)) => {
                tracing::warn!(%error, "the vector file will be rebuilt");
                self.open_standby(model_dir).await;
            }
            Err(error) => tracing::warn!(%error, "opening the vector file failed"),
        }
    }

    /// Looks for the vector file of the instance's previous model, for [`Standby`].
    async fn open_standby(&mut self, model_dir: &Path) {
        let (Some(dir), Some(embedder)) = (&self.vectors_dir, &self.embedder) else {
            return;
        };
        if !any_vector_file(dir).await {
            return;
        }
        for kind in [ModelKind::Minilm, ModelKind::Static] {
            if kind == embedder.kind() || !Embedder::present_kind(model_dir, kind) {
                continue;
            }
            let (dir, model_dir) = (dir.clone(), model_dir.to_path_buf());
            let opened = tokio::task::spawn_blocking(move || -> anyhow::Result<Standby> {
                let previous = Embedder::load_kind(&model_dir, kind)?;
                let file = VectorFile::open(&path_for(&dir, previous.name()), previous.name(), previous.dimensions())?;
                let vectors = VectorIndex::with_file(previous.dimensions(), Arc::new(file));
                Ok(Standby {
                    embedder: Arc::new(previous),
                    vectors: Arc::new(RwLock::new(vectors)),
                })
            })
            .await;
            if let Ok(Ok(standby)) = opened {
                tracing::info!(
                    model = standby.embedder.name(),
                    "the previous model answers by meaning until the papers are embedded again"
                );
                *self.standby.get_mut().expect("standby lock") = Some(Arc::new(standby));
                return;
            }
        }
    }

    /// The model and vectors that answer queries by meaning: the previous model's during a
    /// switch, this one's otherwise; `None` without a model.
    pub(super) fn serving(&self) -> Option<(Arc<Embedder>, Arc<RwLock<VectorIndex>>)> {
        if let Some(standby) = self.standby.read().expect("standby lock").as_ref() {
            return Some((Arc::clone(&standby.embedder), Arc::clone(&standby.vectors)));
        }
        Some((Arc::clone(self.embedder.as_ref()?), Arc::clone(&self.vectors)))
    }

    /// The previous model's name while it answers by meaning.
    pub(super) fn standby_model(&self) -> Option<String> {
        let standby = self.standby.read().expect("standby lock");
        standby.as_ref().map(|s| s.embedder.name().to_owned())
    }

    /// Ends the standby once this model has embedded every indexed paper: builds this model's
    /// file, answers with it, and deletes the previous model's.
    pub(super) async fn retire_standby_once_caught_up(&self) -> anyhow::Result<()> {
        if self.standby.read().expect("standby lock").is_none() {
            return Ok(());
        }
        let embedded = self.vectors.read().expect("vector lock").len() as u64;
        let indexed = self.index.len();
        if !self.index.checkpoint().complete || indexed == 0 || embedded < indexed {
            return Ok(());
        }
        self.build_vector_file().await?;
        *self.standby.write().expect("standby lock") = None;
        if let (Some(dir), Some(embedder)) = (&self.vectors_dir, &self.embedder) {
            remove_other_vector_files(dir, embedder.name()).await;
        }
        tracing::info!(
            papers = embedded,
            "the new model's vectors answer by meaning from now on"
        );
        Ok(())
    }

    /// Loads embeddings written since the last call (by this process or another) into memory.
    pub async fn follow_embeddings(&self) -> anyhow::Result<usize> {
        let Some(embedder) = &self.embedder else { return Ok(0) };
        let mut loaded = 0;
        loop {
            let after = self.followed.load(Ordering::SeqCst);
            let batch = self
                .store
                .embeddings_after(embedder.name(), after, EMBEDDING_BATCH)
                .await?;
            let Some(last) = batch.last() else { break };
            self.followed.store(last.seq, Ordering::SeqCst);
            {
                let mut vectors = self.vectors.write().expect("vector lock");
                for stored in &batch {
                    vectors.insert(&stored.paper_id, &stored.vector);
                }
            }
            loaded += batch.len();
        }
        Ok(loaded)
    }

    /// The position of the last embedding loaded; `None` when the instance has no model.
    pub fn embeddings_loaded(&self) -> Option<i64> {
        self.embedder.as_ref()?;
        Some(self.followed.load(Ordering::SeqCst))
    }

    /// The loaded embeddings of these papers, in order (`None` for a paper not embedded yet),
    /// with the position of the last embedding loaded (it grows as more arrive); `None` when
    /// the instance has no model.
    pub fn embeddings_of(&self, ids: &[&str]) -> Option<(i64, Vec<Option<Vec<f32>>>)> {
        self.embedder.as_ref()?;
        let vectors = self.vectors.read().expect("vector lock");
        let found = ids
            .iter()
            .map(|id| {
                // The file was readable when it opened; if a read fails now, the paper counts
                // as not embedded rather than failing the page.
                vectors.vector(id).unwrap_or_else(|error| {
                    tracing::warn!(%error, paper = id, "reading a vector from the vector file failed");
                    None
                })
            })
            .collect();
        Some((self.followed.load(Ordering::SeqCst), found))
    }

    /// Whether the vector file should be (re)built: there is none for this model yet, or too
    /// many vectors came after it.
    pub(super) fn vector_file_due(&self) -> bool {
        if self.vectors_dir.is_none() || self.embedder.is_none() {
            return false;
        }
        let vectors = self.vectors.read().expect("vector lock");
        match vectors.file() {
            None => true,
            Some(file) => vectors.fresh_len() > FRESH_VECTORS_LIMIT.max(file.len() / 8),
        }
    }

    /// Builds the vector file from every embedding of this model in the database, then takes
    /// it up with what was written meanwhile. Searches go on against the old state until the
    /// new one replaces it; a crash leaves the old file (or none), never a half-written one.
    pub async fn build_vector_file(&self) -> anyhow::Result<usize> {
        let (Some(dir), Some(embedder)) = (&self.vectors_dir, &self.embedder) else {
            return Ok(0);
        };
        let started = Instant::now();
        let (name, dimensions) = (embedder.name().to_owned(), embedder.dimensions());
        let mut builder = {
            let (dir, name) = (dir.clone(), name.clone());
            tokio::task::spawn_blocking(move || VectorFileBuilder::create(&dir, &name, dimensions)).await??
        };
        let mut position = 0;
        loop {
            let batch = self.store.embeddings_after(&name, position, EMBEDDING_BATCH).await?;
            let Some(last) = batch.last() else { break };
            position = last.seq;
            builder = tokio::task::spawn_blocking(move || -> std::io::Result<VectorFileBuilder> {
                for stored in &batch {
                    builder.push(&stored.paper_id, &stored.vector)?;
                }
                Ok(builder)
            })
            .await??;
        }
        let file = tokio::task::spawn_blocking(move || builder.finish(position)).await??;
        let papers = file.len();
        if self.standby.read().expect("standby lock").is_none() {
            remove_other_vector_files(dir, &name).await;
        }
        let mut index = VectorIndex::with_file(dimensions, Arc::new(file));
        loop {
            let batch = self.store.embeddings_after(&name, position, EMBEDDING_BATCH).await?;
            let Some(last) = batch.last() else { break };
            position = last.seq;
            for stored in &batch {
                index.insert(&stored.paper_id, &stored.vector);
            }
        }
        // Replaced together, so no search sees the new file with the old position.
        let mut vectors = self.vectors.write().expect("vector lock");
        *vectors = index;
        self.followed.store(position, Ordering::SeqCst);
        tracing::info!(papers, seconds = started.elapsed().as_secs_f64(), "vector file built");
        Ok(papers)
    }

    /// Embeds up to `limit` papers that have no embedding yet and stores the vectors; returns
    /// how many. `progress(done)` after each batch.
    pub async fn embed_missing(&self, limit: usize, progress: &mut (dyn FnMut(usize) + Send)) -> anyhow::Result<usize> {
        let Some(embedder) = &self.embedder else { return Ok(0) };
        let mut done = 0;
        while done < limit {
            let before = self.sweep.lock().expect("sweep lock").before.clone();
            if before.is_none() {
                // A new sweep, unless no paper changed since the last one ended.
                let newest = self.store.search_log_bounds().await?.newest;
                let mut sweep = self.sweep.lock().expect("sweep lock");
                if sweep.complete_at == Some(newest) {
                    break;
                }
                sweep.started_at = newest;
            }
            let batch = u32::try_from(embedder.batch_hint()).unwrap_or(u32::MAX);
            let texts = self
                .store
                .texts_to_embed(embedder.name(), before.as_deref(), batch)
                .await?;
            {
                let mut sweep = self.sweep.lock().expect("sweep lock");
                match texts.last() {
                    Some(last) => sweep.before = Some(last.paper_id.clone()),
                    None => {
                        sweep.before = None;
                        sweep.complete_at = Some(sweep.started_at);
                    }
                }
            }
            if texts.is_empty() {
                break;
            }
            let embedder_for_task = Arc::clone(embedder);
            let (ids, vectors) = tokio::task::spawn_blocking(move || {
                let inputs: Vec<String> = texts.iter().map(|t| paper_text(&t.title, &t.abstract_text)).collect();
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                let vectors = embedder_for_task.embed(&refs)?;
                Ok::<_, paperboy_embed::EmbedError>((
                    texts.into_iter().map(|t| t.paper_id).collect::<Vec<_>>(),
                    vectors,
                ))
            })
            .await??;
            let pairs: Vec<(String, Vec<f32>)> = ids.into_iter().zip(vectors).collect();
            self.store
                .save_embeddings(embedder.name(), &pairs, crate::clock::now_seconds())
                .await?;
            done += pairs.len();
            progress(done);
        }
        Ok(done)
    }
}
