//! Chats' SQL, by topic, moving here from the topic files (`bans`, `events`, `messages`,
//! `objects` and `search` so far; the rest still sit beside their logic). Each function runs
//! its statements on the [`Sql`] it is given: a write's transaction, or `db.reads()` /
//! `db.scan()`.
//!
//! [`Sql`]: hybrid_store::Sql

pub mod bans;
pub mod events;
pub mod messages;
pub mod objects;
pub mod search;
