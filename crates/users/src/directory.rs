//! The users service's side of [`UserDirectory`].

use futures::future::BoxFuture;
use hybrid_core::ApiError;
use hybrid_users_api::{UserCard, UserDirectory, UserRef};

use crate::store::{UserRow, Users};

pub struct Directory(pub Users);

fn user_ref(row: UserRow) -> UserRef {
    UserRef {
        id: row.id,
        username: row.username,
        created_at: row.created_at,
    }
}

impl UserDirectory for Directory {
    fn create(&self, username: String) -> BoxFuture<'_, Result<UserRef, ApiError>> {
        Box::pin(async move { self.0.create(username).await.map(user_ref) })
    }

    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, Result<Option<UserRef>, ApiError>> {
        Box::pin(async move { Ok(self.0.by_username(username).await?.map(user_ref)) })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<UserRef>, ApiError>> {
        Box::pin(async move { Ok(self.0.get(id).await?.map(user_ref)) })
    }

    fn cards<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, Result<Vec<UserCard>, ApiError>> {
        Box::pin(async move {
            Ok(self
                .0
                .many(ids)
                .await?
                .into_iter()
                .map(|row| UserCard {
                    id: row.id,
                    username: row.username,
                    display_name: row.display_name,
                })
                .collect())
        })
    }

    fn delete(&self, id: i64) -> BoxFuture<'_, Result<(), ApiError>> {
        Box::pin(self.0.delete(id))
    }

    fn is_blocked(&self, blocker: i64, target: i64) -> BoxFuture<'_, Result<bool, ApiError>> {
        Box::pin(self.0.is_blocked(blocker, target))
    }

    fn blocks_between<'a>(&'a self, user: i64, others: &'a [i64]) -> BoxFuture<'a, Result<Vec<i64>, ApiError>> {
        Box::pin(self.0.blocks_between(user, others))
    }
}
