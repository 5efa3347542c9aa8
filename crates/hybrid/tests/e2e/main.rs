//! End-to-end tests: the real `hybrid` binary over HTTP, each on SQLite and on PostgreSQL.

mod auth;
mod cli;
mod conventions;
mod readme;
mod totp;
mod users;

use hybrid_testkit::{Dialect, TestServer};

pub const BIN: &str = env!("CARGO_BIN_EXE_hybrid");

pub async fn start(dialect: Dialect) -> TestServer {
    TestServer::start(BIN, dialect).await
}

pub async fn start_with(dialect: Dialect, env: &[(&str, &str)]) -> TestServer {
    TestServer::start_with(BIN, dialect, env).await
}
