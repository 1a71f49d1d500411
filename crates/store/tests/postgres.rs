//! The store conformance suite against a real PostgreSQL server, every check on a database of
//! its own (`PAPERBOY_TEST_POSTGRES_URL` names the server; `.ci/run` starts one).

use paperboy_store::PgStore;
use paperboy_store::conformance::postgres_test_database;

async fn fresh() -> PgStore {
    PgStore::connect(&postgres_test_database().await)
        .await
        .expect("PostgreSQL store opens")
}

paperboy_store::store_conformance_suite!(fresh());
