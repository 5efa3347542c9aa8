//! All of chats' SQL, one file per table or topic; the rules stay in the topic files above
//! (`membership`, `messages`, …), which call these. Each function runs its statements on the
//! [`Sql`] it is given: a write's transaction, or `db.reads()` / `db.scan()`.
//!
//! [`Sql`]: hybrid_store::Sql

pub mod bans;
pub mod chats;
pub mod events;
pub mod invites;
pub mod join_requests;
pub mod members;
pub mod messages;
pub mod objects;
pub mod search;
