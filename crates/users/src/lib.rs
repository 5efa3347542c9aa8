//! The users service: who exists (id, username), their profiles, and whom they block.
//! Usernames are folded (NFKC, lowercase) and unique; `auth` creates users through the
//! [`UserDirectory`](hybrid_users_api::UserDirectory) this module provides.

mod api;
mod routes;
mod service;
mod store;

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiTag, GrpcApi, Module, ModuleContext, Started};
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use api::Profile;

static MIGRATIONS: &[Migration] = &[hybrid_store::migration!(1, "0001_init")];

pub struct UsersModule;

impl Module for UsersModule {
    fn name(&self) -> &'static str {
        "users"
    }

    fn description(&self) -> &'static str {
        "profiles, username lookup and search, blocks"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(hybrid_users_api::GRPC)
    }

    fn error_codes(&self) -> &'static [hybrid_core::CodeDoc] {
        hybrid_users_api::UsersCode::ALL
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "users",
            description: "Profiles, search, blocks",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let users = Arc::new(service::Users::new(store::Store::new(ctx.db()?)));
            ctx.apis.provide::<dyn UserDirectory>(users.clone());
            Ok(Started::routes(routes::router(users)))
        })
    }
}
