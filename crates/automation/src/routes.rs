//! The automation service's HTTP API under `/api/v1/automation`: thin handlers that take the
//! contract's types, call the service, and answer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{
    Account, AccountChange, Audience, AudienceImport, Campaign, Contact, ContactParams, Entry, Imported,
    InboundContact, InboundHook, Login, LoginPassword, NewAccount, NewAudience, NewCampaign, NewLogin, NewParse,
    NewPost, PageParams, Parse, Published,
};
use crate::service::Automation;

type Svc = State<Arc<Automation>>;

pub fn routes(service: Arc<Automation>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(connect_account, list_accounts))
        .routes(routes!(get_account, change_account, delete_account))
        .routes(routes!(check_account))
        .routes(routes!(post_as_account))
        .routes(routes!(start_login))
        .routes(routes!(get_login, cancel_login))
        .routes(routes!(login_password))
        .routes(routes!(create_audience, list_audiences))
        .routes(routes!(get_audience, delete_audience))
        .routes(routes!(list_entries, import_entries))
        .routes(routes!(export_audience))
        .routes(routes!(start_campaign, list_campaigns))
        .routes(routes!(get_campaign, delete_campaign))
        .routes(routes!(list_contacts))
        .routes(routes!(export_campaign))
        .routes(routes!(pause_campaign))
        .routes(routes!(resume_campaign))
        .routes(routes!(cancel_campaign))
        .routes(routes!(open_inbound, close_inbound))
        .routes(routes!(inbound_contact))
        .routes(routes!(start_parse, list_parses))
        .routes(routes!(get_parse))
        .routes(routes!(cancel_parse))
        .with_state(service)
}

pub(crate) fn csv(name: String, body: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
}

/// Connect an account that campaigns act through (for `hybrid`: a session of a user of this
/// server, given by its access token, which is kept sealed and never shown again).
#[utoipa::path(post, path = "/automation/accounts", tag = "automation", security(("bearer" = [])),
    request_body = NewAccount,
    responses((status = 201, body = Account), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn connect_account(
    State(svc): Svc,
    me: AuthUser,
    Json(new): Json<NewAccount>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    Ok((StatusCode::CREATED, Json(svc.connect(me.user_id, new).await?)))
}

/// My accounts, oldest first, with their state and use over the last 24 hours.
#[utoipa::path(get, path = "/automation/accounts", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Account>), (status = 422, body = ErrorBody)))]
async fn list_accounts(
    State(svc): Svc,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Account>>> {
    Ok(Json(
        svc.accounts(me.user_id, page.cursor.as_deref(), page.limit).await?,
    ))
}

#[utoipa::path(get, path = "/automation/accounts/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody)))]
async fn get_account(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Account>> {
    Ok(Json(svc.account(me.user_id, id).await?))
}

/// Rename an account, set its daily limit, pause or resume it.
#[utoipa::path(patch, path = "/automation/accounts/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AccountChange,
    responses((status = 200, body = Account), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_account(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(change): Json<AccountChange>,
) -> ApiResult<Json<Account>> {
    Ok(Json(svc.change_account(me.user_id, id, change).await?))
}

/// Disconnect an account: its sealed secret is deleted; campaigns go on with their others.
#[utoipa::path(delete, path = "/automation/accounts/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_account(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.delete_account(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask the platform whether the account can act now (its session alive).
#[utoipa::path(post, path = "/automation/accounts/{id}/check", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn check_account(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Account>> {
    Ok(Json(svc.check_account(me.user_id, id).await?))
}

/// Publish a message into a chat as the account (autopost's building block). A `key` makes a
/// retried request answer with the first post; a session that ended marks the account.
#[utoipa::path(post, path = "/automation/accounts/{id}/posts", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewPost,
    responses((status = 201, body = Published), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn post_as_account(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(new): Json<NewPost>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    Ok((StatusCode::CREATED, Json(svc.post(me.user_id, id, new).await?)))
}

/// Start logging a Telegram user account in by QR code (the `telegram_user` connector): show
/// `qr_url` as a QR code and poll the login (when Telegram could not be reached, `unreachable`
/// says why and the code comes with a later poll). 503 when this server cannot (built without
/// the `telegram-user` feature, or no `automation.telegram_api_id`/`telegram_api_hash`).
#[utoipa::path(post, path = "/automation/logins", tag = "automation", security(("bearer" = [])),
    request_body = NewLogin,
    responses((status = 201, body = Login), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn start_login(State(svc): Svc, me: AuthUser, Json(new): Json<NewLogin>) -> ApiResult<(StatusCode, Json<Login>)> {
    Ok((StatusCode::CREATED, Json(svc.start_login(me.user_id, new).await?)))
}

/// Where a login stands: while `waiting`, each call asks Telegram whether the code was
/// scanned (and shows a new code when the last one expired; `unreachable` when Telegram did
/// not answer).
#[utoipa::path(get, path = "/automation/logins/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Login), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn get_login(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Login>> {
    Ok(Json(svc.login(me.user_id, id).await?))
}

/// Cancel a login (or forget one that ended).
#[utoipa::path(delete, path = "/automation/logins/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn cancel_login(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.cancel_login(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send the cloud password of a login that asks for it (`password_needed`). It is proven to
/// Telegram with SRP, never sent on nor kept. A wrong one: 422 `bad_credentials`.
#[utoipa::path(post, path = "/automation/logins/{id}/password", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = LoginPassword,
    responses((status = 200, body = Login), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn login_password(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(password): Json<LoginPassword>,
) -> ApiResult<Json<Login>> {
    Ok(Json(svc.login_password(me.user_id, id, password).await?))
}

/// Import an audience from a TXT or CSV file's text; the report lists rejected lines.
#[utoipa::path(post, path = "/automation/audiences", tag = "automation", security(("bearer" = [])),
    request_body = NewAudience,
    responses((status = 201, body = Imported), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_audience(
    State(svc): Svc,
    me: AuthUser,
    Json(new): Json<NewAudience>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    Ok((StatusCode::CREATED, Json(svc.create_audience(me.user_id, new).await?)))
}

/// My audiences, newest first.
#[utoipa::path(get, path = "/automation/audiences", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Audience>), (status = 422, body = ErrorBody)))]
async fn list_audiences(
    State(svc): Svc,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Audience>>> {
    Ok(Json(
        svc.audiences(me.user_id, page.cursor.as_deref(), page.limit).await?,
    ))
}

#[utoipa::path(get, path = "/automation/audiences/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Audience), (status = 404, body = ErrorBody)))]
async fn get_audience(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Audience>> {
    Ok(Json(svc.audience(me.user_id, id).await?))
}

/// Delete an audience: its people's phones and usernames are gone, also from the campaigns
/// made from it (which keep only their counts); running ones are cancelled.
#[utoipa::path(delete, path = "/automation/audiences/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_audience(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.delete_audience(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The people of an audience, in import order (`limit` up to 1000).
#[utoipa::path(get, path = "/automation/audiences/{id}/entries", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<Entry>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_entries(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Entry>>> {
    Ok(Json(
        svc.entries(me.user_id, id, page.cursor.as_deref(), page.limit).await?,
    ))
}

/// Add more people to an audience (duplicates are counted, not added).
#[utoipa::path(post, path = "/automation/audiences/{id}/entries", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AudienceImport,
    responses((status = 200, body = Imported), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_entries(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(import): Json<AudienceImport>,
) -> ApiResult<Json<Imported>> {
    Ok(Json(svc.import(me.user_id, id, import).await?))
}

/// Everything the audience holds about people, as CSV (`kind,value`).
#[utoipa::path(get, path = "/automation/audiences/{id}/export", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn export_audience(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    let body = svc.export_audience(me.user_id, id).await?;
    Ok(csv(format!("audience-{id}.csv"), body))
}

/// Start an invite campaign: the audience's people into the target chat, by the accounts,
/// one action per account per pause.
#[utoipa::path(post, path = "/automation/campaigns", tag = "automation", security(("bearer" = [])),
    request_body = NewCampaign,
    responses((status = 201, body = Campaign), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_campaign(
    State(svc): Svc,
    me: AuthUser,
    Json(new): Json<NewCampaign>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    Ok((StatusCode::CREATED, Json(svc.start_campaign(me.user_id, new).await?)))
}

/// My campaigns, newest first, with their progress.
#[utoipa::path(get, path = "/automation/campaigns", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Campaign>), (status = 422, body = ErrorBody)))]
async fn list_campaigns(
    State(svc): Svc,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Campaign>>> {
    Ok(Json(
        svc.campaigns(me.user_id, page.cursor.as_deref(), page.limit).await?,
    ))
}

/// A campaign: state, counts per outcome, ETA.
#[utoipa::path(get, path = "/automation/campaigns/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody)))]
async fn get_campaign(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Campaign>> {
    Ok(Json(svc.campaign(me.user_id, id).await?))
}

/// Delete a finished or cancelled campaign with its log.
#[utoipa::path(delete, path = "/automation/campaigns/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_campaign(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.delete_campaign(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The campaign's people and what came of each: in audience order, or the most recently changed first (`order=recent`).
#[utoipa::path(get, path = "/automation/campaigns/{id}/contacts", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path), ContactParams),
    responses((status = 200, body = Page<Contact>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_contacts(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(params): Query<ContactParams>,
) -> ApiResult<Json<Page<Contact>>> {
    let page = svc
        .contacts(
            me.user_id,
            id,
            params.outcome.as_deref(),
            params.order.as_deref(),
            params.cursor.as_deref(),
            params.limit,
        )
        .await?;
    Ok(Json(page))
}

/// The campaign's people and outcomes as CSV.
#[utoipa::path(get, path = "/automation/campaigns/{id}/export", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn export_campaign(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    let body = svc.export_campaign(me.user_id, id).await?;
    Ok(csv(format!("campaign-{id}.csv"), body))
}

/// Pause a running campaign at once (an action in flight is stopped).
#[utoipa::path(post, path = "/automation/campaigns/{id}/pause", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn pause_campaign(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Campaign>> {
    Ok(Json(svc.pause(me.user_id, id).await?))
}

#[utoipa::path(post, path = "/automation/campaigns/{id}/resume", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resume_campaign(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Campaign>> {
    Ok(Json(svc.resume(me.user_id, id).await?))
}

/// Cancel a campaign for good, at once.
#[utoipa::path(post, path = "/automation/campaigns/{id}/cancel", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_campaign(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Campaign>> {
    Ok(Json(svc.cancel(me.user_id, id).await?))
}

/// Start the member parser: a new audience filled with a chat's members, or with the distinct
/// authors of its history, page by page (`GET /automation/parses/{id}` shows how far it is).
#[utoipa::path(post, path = "/automation/parses", tag = "automation", security(("bearer" = [])),
    request_body = NewParse,
    responses((status = 201, body = Parse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_parse(State(svc): Svc, me: AuthUser, Json(new): Json<NewParse>) -> ApiResult<(StatusCode, Json<Parse>)> {
    Ok((StatusCode::CREATED, Json(svc.start_parse(me.user_id, new).await?)))
}

/// My parses, newest first.
#[utoipa::path(get, path = "/automation/parses", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Parse>), (status = 422, body = ErrorBody)))]
async fn list_parses(State(svc): Svc, me: AuthUser, Query(q): Query<PageParams>) -> ApiResult<Json<Page<Parse>>> {
    Ok(Json(svc.parses(me.user_id, q.cursor.as_deref(), q.limit).await?))
}

/// A parse and its progress.
#[utoipa::path(get, path = "/automation/parses/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Parse), (status = 404, body = ErrorBody)))]
async fn get_parse(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Parse>> {
    Ok(Json(svc.parse(me.user_id, id).await?))
}

/// Stop a running parse at once; the people found so far stay in its audience. A parse that
/// has ended is answered as it is.
#[utoipa::path(post, path = "/automation/parses/{id}/cancel", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Parse), (status = 404, body = ErrorBody)))]
async fn cancel_parse(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Parse>> {
    Ok(Json(svc.cancel_parse(me.user_id, id).await?))
}

/// Make the campaign's inbound webhook, or give it a new secret (the old one stops working at
/// once). The secret is shown only in this answer.
#[utoipa::path(post, path = "/automation/campaigns/{id}/inbound", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = InboundHook), (status = 404, body = ErrorBody)))]
async fn open_inbound(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<InboundHook>> {
    Ok(Json(svc.open_inbound(me.user_id, id).await?))
}

/// Remove the campaign's inbound webhook.
#[utoipa::path(delete, path = "/automation/campaigns/{id}/inbound", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn close_inbound(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.close_inbound(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A campaign's inbound webhook: one contact per request, from another system. Authenticated
/// by the hook's secret in `x-hybrid-token`, or by `x-hybrid-signature` (HMAC of the body, see
/// `InboundHook`). 201 with the new contact; 200 with the one the campaign has already. A
/// finished campaign runs again for the newcomer; a cancelled one answers 409.
#[utoipa::path(post, path = "/automation/inbound/{hook}", tag = "automation",
    params(("hook" = String, Path)),
    request_body = InboundContact,
    responses((status = 201, body = Contact), (status = 200, body = Contact), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn inbound_contact(
    State(svc): Svc,
    Path(hook): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let (added, contact) = svc.take_contact(&hook, &headers, &body).await?;
    let status = if added { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(contact)))
}
