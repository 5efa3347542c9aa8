//! `Path` and `Query` that reject in the API's error shape instead of axum's plain text.

use axum::extract::{FromRequestParts, Path as AxumPath, Query as AxumQuery};

use crate::ApiError;

#[derive(Debug, FromRequestParts)]
#[from_request(via(AxumPath), rejection(ApiError))]
pub struct Path<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(AxumQuery), rejection(ApiError))]
pub struct Query<T>(pub T);
