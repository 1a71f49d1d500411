//! What the processes of one instance share: rate-limit counters, leases, secrets, health.

use async_trait::async_trait;

use crate::StoreError;

#[async_trait]
pub trait InstanceStore: Send + Sync {
    /// Counts one more hit in `bucket` for the window starting at `window_start`; answers
    /// whether the hit is within `limit`. Shared by every process using the database.
    async fn take_rate_limit(&self, bucket: &str, window_start: i64, limit: u32) -> Result<bool, StoreError>;

    /// The secret called `name`, shared by every process on this database; `fresh` becomes it
    /// if there is none yet.
    async fn instance_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;

    /// Takes (or renews) the lease `name` for `holder` until `now + duration`, unless another
    /// holder's lease is still running; answers whether `holder` has it now. Times are in one
    /// unit, the same for every call on `name` (the harvest lease counts seconds, the turn at
    /// arXiv's door milliseconds).
    async fn take_lease(&self, name: &str, holder: &str, now: i64, duration: i64) -> Result<bool, StoreError>;

    /// Who holds the lease `name` now, if anyone's lease is still running at `now`.
    async fn lease_holder(&self, name: &str, now: i64) -> Result<Option<String>, StoreError>;

    /// Gives up a lease `holder` has (nothing happens when it has not).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Cheap check that the database answers, for `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Writes one small row and commits it: whether the database takes writes now, which a
    /// read cannot tell (a full disk or a read-only file answers every read), for `/readyz`.
    async fn probe_write(&self, now: i64) -> Result<(), StoreError>;

    /// Closes every connection, waiting for those in use. SQLite then checkpoints its
    /// write-ahead log into the database file, which stands alone afterwards.
    async fn close(&self);
}
