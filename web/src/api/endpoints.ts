/**
 * One function per endpoint the client uses, each a call of the typed client: paths, path
 * and query parameters, bodies and answers all come from the spec (`schema.d.ts`).
 */
import { client, data, type Client } from './client';
import type { AccountChange, AddPolicy, AlertSettingsChange, AudienceImport, BotUpdate, ChatSettingUpdate, ContentPostChange, ContentSettingsChange, CreateChat, EmailSettingsUpdate, InviteOptions, JobState, LoginRequest, NewAudience, NewAutomationAccount, NewBot, NewCampaign, NewContentPost, NewParse, NewPushSubscription, NewSchedule, NewSource, NewTelegramLogin, NewWebhook, NotifySettings, ProfileUpdate, RegisterRequest, ScheduleChange, SendMessage, SyncRequest, UpdateChat, UpdateMember } from './types';

/** Which jobs of a module to list (`GET /admin/jobs/{module}`). */
export interface JobsQuery {
  state?: JobState;
  queue?: string;
  cursor?: string;
  limit?: number;
}

export function endpoints({ api: c, guest }: Client) {
  const chat = (chat_id: number) => ({ params: { path: { chat_id } } });
  const msg = (chat_id: number, seq: number) => ({ params: { path: { chat_id, seq } } });

  return {
    // auth
    register: (req: Omit<RegisterRequest, 'refresh_in_cookie'>) =>
      data(guest.POST('/api/v1/auth/register', { body: { ...req, refresh_in_cookie: true } })),
    login: (req: Omit<LoginRequest, 'refresh_in_cookie'>) =>
      data(guest.POST('/api/v1/auth/login', { body: { ...req, refresh_in_cookie: true } })),
    account: () => data(c.GET('/api/v1/auth/account')),
    logout: () => data(c.POST('/api/v1/auth/logout')),
    sessions: () => data(c.GET('/api/v1/auth/sessions')),
    revokeSession: (id: number) => data(c.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id } } })),
    revokeOthers: () => data(c.POST('/api/v1/auth/sessions/revoke-others')),
    changePassword: (current_password: string, new_password: string) =>
      data(c.POST('/api/v1/auth/password', { body: { current_password, new_password } })),
    totpSetup: (password: string) => data(c.POST('/api/v1/auth/totp/setup', { body: { password } })),
    totpConfirm: (code: string) => data(c.POST('/api/v1/auth/totp/confirm', { body: { code } })),
    totpDisable: (password: string, code: string) => data(c.POST('/api/v1/auth/totp/disable', { body: { password, code } })),

    // users
    me: () => data(c.GET('/api/v1/users/me')),
    /** A new name, bio or picture (`avatar`: an avatar file's attach token, `""` removes it). */
    updateMe: (update: ProfileUpdate) => data(c.PATCH('/api/v1/users/me', { body: update })),
    privacy: () => data(c.GET('/api/v1/users/me/privacy')),
    /** Who may add me to groups and channels (others send me an invite link instead). */
    setPrivacy: (add_to_groups: AddPolicy) => data(c.PUT('/api/v1/users/me/privacy', { body: { add_to_groups } })),
    user: (id: number) => data(c.GET('/api/v1/users/{id}', { params: { path: { id } } })),
    userByName: (username: string) =>
      data(c.GET('/api/v1/users/by-username/{username}', { params: { path: { username } } })),
    searchUsers: (prefix: string, limit = 10) => data(c.GET('/api/v1/users/search', { params: { query: { prefix, limit } } })),

    // chats
    chats: (cursor?: string) => data(c.GET('/api/v1/chats', { params: { query: { cursor: cursor || undefined, limit: 100 } } })),
    chat: (id: number) => data(c.GET('/api/v1/chats/{chat_id}', chat(id))),
    createChat: (req: CreateChat) => data(c.POST('/api/v1/chats', { body: req })),
    updateChat: (id: number, update: UpdateChat) =>
      data(c.PATCH('/api/v1/chats/{chat_id}', { ...chat(id), body: update })),
    history: (id: number, from: { before?: number; after?: number; around?: number }, limit = 50) =>
      data(c.GET('/api/v1/chats/{chat_id}/messages', { params: { path: { chat_id: id }, query: { ...from, limit } } })),
    /** The chat's messages that carry a file (its files and media), paged like the history. */
    chatFiles: (id: number, before?: number, limit = 20) =>
      data(c.GET('/api/v1/chats/{chat_id}/messages', { params: { path: { chat_id: id }, query: { before, limit, with_attachment: true } } })),
    send: (id: number, body: SendMessage) =>
      data(c.POST('/api/v1/chats/{chat_id}/messages', { ...chat(id), body })),
    edit: (id: number, seq: number, text: string) =>
      data(c.PATCH('/api/v1/chats/{chat_id}/messages/{seq}', { ...msg(id, seq), body: { text } })),
    remove: (id: number, seq: number) => data(c.DELETE('/api/v1/chats/{chat_id}/messages/{seq}', msg(id, seq))),
    react: (id: number, seq: number, emoji: string) =>
      data(c.PUT('/api/v1/chats/{chat_id}/messages/{seq}/reactions/{emoji}', { params: { path: { chat_id: id, seq, emoji } } })),
    unreact: (id: number, seq: number, emoji: string) =>
      data(c.DELETE('/api/v1/chats/{chat_id}/messages/{seq}/reactions/{emoji}', { params: { path: { chat_id: id, seq, emoji } } })),
    pins: (id: number) => data(c.GET('/api/v1/chats/{chat_id}/pins', chat(id))),
    pin: (id: number, seq: number) => data(c.PUT('/api/v1/chats/{chat_id}/pins/{seq}', msg(id, seq))),
    unpin: (id: number, seq: number) => data(c.DELETE('/api/v1/chats/{chat_id}/pins/{seq}', msg(id, seq))),
    read: (id: number, seq: number) => data(c.POST('/api/v1/chats/{chat_id}/read', { ...chat(id), body: { seq } })),
    typing: (id: number) => data(c.POST('/api/v1/chats/{chat_id}/typing', chat(id))),
    members: (id: number) =>
      data(c.GET('/api/v1/chats/{chat_id}/members', { params: { path: { chat_id: id }, query: { limit: 200 } } })),
    addMembers: (id: number, user_ids: number[]) =>
      data(c.POST('/api/v1/chats/{chat_id}/members', { ...chat(id), body: { user_ids } })),
    updateMember: (id: number, userId: number, update: UpdateMember) =>
      data(c.PATCH('/api/v1/chats/{chat_id}/members/{user_id}', { params: { path: { chat_id: id, user_id: userId } }, body: update })),
    removeMember: (id: number, userId: number) =>
      data(c.DELETE('/api/v1/chats/{chat_id}/members/{user_id}', { params: { path: { chat_id: id, user_id: userId } } })),
    leave: (id: number) => data(c.POST('/api/v1/chats/{chat_id}/leave', chat(id))),
    invites: (id: number) => data(c.GET('/api/v1/chats/{chat_id}/invites', chat(id))),
    /** A new link; `needs_approval` needs the admin role (403), and takes no `usage_limit` (422). */
    createInvite: (id: number, req: InviteOptions = {}) =>
      data(c.POST('/api/v1/chats/{chat_id}/invites', { ...chat(id), body: req })),
    /** Replaces a link's terms: a field left out removes its rule (no name, no expiry, no limit). */
    editInvite: (id: number, code: string, req: InviteOptions) =>
      data(c.PATCH('/api/v1/chats/{chat_id}/invites/{code}', { params: { path: { chat_id: id, code } }, body: req })),
    revokeInvite: (id: number, code: string) =>
      data(c.DELETE('/api/v1/chats/{chat_id}/invites/{code}', { params: { path: { chat_id: id, code } } })),
    previewInvite: (code: string) => data(c.GET('/api/v1/invites/{code}', { params: { path: { code } } })),
    /** The chat (200), or `requested: true` (202) when the link needs an admin's approval. */
    joinInvite: (code: string) => data(c.POST('/api/v1/invites/{code}/join', { params: { path: { code } } })),
    /** People waiting to join, oldest first (admins who may invite). */
    joinRequests: (id: number, cursor?: string, limit = 20) =>
      data(c.GET('/api/v1/chats/{chat_id}/join-requests', { params: { path: { chat_id: id }, query: { cursor: cursor || undefined, limit } } })),
    /** 404 when there is no such request (decided meanwhile). */
    approveJoin: (id: number, userId: number) =>
      data(c.POST('/api/v1/chats/{chat_id}/join-requests/{user_id}/approve', { params: { path: { chat_id: id, user_id: userId } } })),
    declineJoin: (id: number, userId: number) =>
      data(c.POST('/api/v1/chats/{chat_id}/join-requests/{user_id}/decline', { params: { path: { chat_id: id, user_id: userId } } })),
    presence: (userIds: number[]) =>
      data(c.GET('/api/v1/realtime/presence', { params: { query: { user_ids: userIds.join(',') } } })),
    sync: (req: SyncRequest) => data(c.POST('/api/v1/sync', { body: req })),
    searchMessages: (q: string, cursor?: string) =>
      data(c.GET('/api/v1/search/messages', { params: { query: { q, cursor: cursor || undefined, limit: 30 } } })),

    // files (uploads go through features/files/upload.ts, for their progress)
    file: (id: number) => data(c.GET('/api/v1/files/{id}', { params: { path: { id } } })),
    filesUsage: () => data(c.GET('/api/v1/files/usage')),
    /**
     * A link that reads the file (or its thumbnail `variant`: `320.webp`) without a token for a
     * while, through the message carrying it; an avatar (anyone signed in reads it) needs none.
     */
    fileLink: (id: number, chatId?: number, seq?: number, variant?: string) =>
      data(c.POST('/api/v1/files/{id}/link', { params: { path: { id }, query: { chat_id: chatId, seq, variant } } })),

    // notifications (a 404 on all of them: the server runs no notify service)
    notifications: (cursor?: string, limit = 30) =>
      data(c.GET('/api/v1/notifications', { params: { query: { cursor: cursor || undefined, limit } } })),
    /** Reads every entry up to `upTo` (an entry's id), or all of them. */
    readNotifications: (upTo?: number) => data(c.POST('/api/v1/notifications/read', { body: upTo === undefined ? {} : { up_to: upTo } })),
    /** The chats with a notification setting of their own (a level, or a mute not over yet). */
    chatNotifySettings: () => data(c.GET('/api/v1/notifications/chats')),
    setChatNotify: (id: number, update: ChatSettingUpdate) =>
      data(c.PUT('/api/v1/notifications/chats/{chat_id}', { ...chat(id), body: update })),
    notifySettings: () => data(c.GET('/api/v1/notifications/settings')),
    setNotifySettings: (settings: NotifySettings) => data(c.PUT('/api/v1/notifications/settings', { body: settings })),
    pushKey: () => data(c.GET('/api/v1/notifications/push/key')),
    pushBrowsers: () => data(c.GET('/api/v1/notifications/push/subscriptions')),
    addPushBrowser: (sub: NewPushSubscription) => data(c.POST('/api/v1/notifications/push/subscriptions', { body: sub })),
    removePushBrowser: (id: number) =>
      data(c.DELETE('/api/v1/notifications/push/subscriptions/{id}', { params: { path: { id } } })),
    emailSettings: () => data(c.GET('/api/v1/notifications/email')),
    /** Replaces them all; `{}` (no address) removes email. A new address is sent a link to confirm it. */
    setEmailSettings: (update: EmailSettingsUpdate) => data(c.PUT('/api/v1/notifications/email', { body: update })),
    /** Another link to confirm the address (204; 409 `nothing_to_verify`, 429 when asked too soon). */
    resendEmailConfirmation: () => data(c.POST('/api/v1/notifications/email/confirmation')),
    webhooks: () => data(c.GET('/api/v1/notifications/webhooks')),
    /** A new hook (201): the answer alone carries its `secret`. 409 `too_many_webhooks`, 404 for a chat not mine. */
    addWebhook: (hook: NewWebhook) => data(c.POST('/api/v1/notifications/webhooks', { body: hook })),
    removeWebhook: (id: number) => data(c.DELETE('/api/v1/notifications/webhooks/{id}', { params: { path: { id } } })),
    /** On again after being turned off for failing. */
    enableWebhook: (id: number) => data(c.POST('/api/v1/notifications/webhooks/{id}/enable', { params: { path: { id } } })),
    /** A hook's deliveries, newest first, each with its attempts. */
    webhookDeliveries: (id: number, cursor?: string, limit = 20) =>
      data(c.GET('/api/v1/notifications/webhooks/{id}/deliveries', { params: { path: { id }, query: { cursor: cursor || undefined, limit } } })),

    // bots (a 404 on all of them: the server runs no bots service)
    bots: (cursor?: string, limit = 50) => data(c.GET('/api/v1/bots', { params: { query: { cursor: cursor || undefined, limit } } })),
    /** A new bot (201): the answer alone carries its Bot API `token`. 409 `username_taken`, `too_many_bots`. */
    createBot: (bot: NewBot) => data(c.POST('/api/v1/bots', { body: bot })),
    /** A new name, or privacy mode on or off. */
    updateBot: (id: number, update: BotUpdate) => data(c.PATCH('/api/v1/bots/{id}', { params: { path: { id } }, body: update })),
    /** A new token (in this answer only); the old one stops working at once. */
    newBotToken: (id: number) => data(c.POST('/api/v1/bots/{id}/token', { params: { path: { id } } })),
    removeBot: (id: number) => data(c.DELETE('/api/v1/bots/{id}', { params: { path: { id } } })),
    /** A bot's command menu (its setMyCommands list) in a language, for anyone who talks with it. */
    botCommands: (id: number, language_code?: string) =>
      data(c.GET('/api/v1/bots/{id}/commands', { params: { path: { id }, query: { language_code } } })),
    /**
     * Presses an inline button of a bot's message: what the bot answered, or `answered: false`
     * when it did not answer in time (`bots.callback_wait_ms`).
     */
    pressButton: (id: number, seq: number, callbackData: string) =>
      data(c.POST('/api/v1/chats/{chat_id}/messages/{seq}/callback', { ...msg(id, seq), body: { data: callbackData } })),

    // automation (a 404 on all of them: the server runs no automation service)
    automationAccounts: (cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/accounts', { params: { query: { cursor: cursor || undefined, limit } } })),
    /** 422 `bad_credentials` (field `token`) when the token is not a live session's. */
    connectAccount: (req: NewAutomationAccount) =>
      data(c.POST('/api/v1/automation/accounts', { body: req })),
    /** A new name or daily limit, paused or active again. */
    changeAccount: (id: number, change: AccountChange) =>
      data(c.PATCH('/api/v1/automation/accounts/{id}', { params: { path: { id } }, body: change })),
    /** Asks the platform whether the account can act now (a logged-out one turns active again). */
    checkAccount: (id: number) =>
      data(c.POST('/api/v1/automation/accounts/{id}/check', { params: { path: { id } } })),
    removeAccount: (id: number) => data(c.DELETE('/api/v1/automation/accounts/{id}', { params: { path: { id } } })),
    audiences: (cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/audiences', { params: { query: { cursor: cursor || undefined, limit } } })),
    audience: (id: number) => data(c.GET('/api/v1/automation/audiences/{id}', { params: { path: { id } } })),
    /** A new audience from a file's text, with the import's report (rejected lines and why). */
    createAudience: (req: NewAudience) => data(c.POST('/api/v1/automation/audiences', { body: req })),
    /** More people into an audience: the report (duplicates counted, not added). */
    importEntries: (id: number, req: AudienceImport) =>
      data(c.POST('/api/v1/automation/audiences/{id}/entries', { params: { path: { id } }, body: req })),
    audienceEntries: (id: number, cursor?: string, limit = 100) =>
      data(c.GET('/api/v1/automation/audiences/{id}/entries', { params: { path: { id }, query: { cursor: cursor || undefined, limit } } })),
    /** Its people are erased, also from the campaigns made from it (a running one is cancelled). */
    removeAudience: (id: number) => data(c.DELETE('/api/v1/automation/audiences/{id}', { params: { path: { id } } })),
    parses: (cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/parses', { params: { query: { cursor: cursor || undefined, limit } } })),
    startParse: (req: NewParse) => data(c.POST('/api/v1/automation/parses', { body: req })),
    cancelParse: (id: number) => data(c.POST('/api/v1/automation/parses/{id}/cancel', { params: { path: { id } } })),
    campaigns: (cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/campaigns', { params: { query: { cursor: cursor || undefined, limit } } })),
    campaign: (id: number) => data(c.GET('/api/v1/automation/campaigns/{id}', { params: { path: { id } } })),
    /** Starts at once; 422 names the account that is not in the target chat. */
    startCampaign: (req: NewCampaign) => data(c.POST('/api/v1/automation/campaigns', { body: req })),
    /** The campaign's people and their outcomes, in audience order. */
    /** The live log: most recently changed first. */
    campaignContacts: (id: number, cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/campaigns/{id}/contacts', { params: { path: { id }, query: { order: 'recent', cursor: cursor || undefined, limit } } })),
    /** 409 `wrong_state` for a campaign that has ended. */
    pauseCampaign: (id: number) => data(c.POST('/api/v1/automation/campaigns/{id}/pause', { params: { path: { id } } })),
    resumeCampaign: (id: number) => data(c.POST('/api/v1/automation/campaigns/{id}/resume', { params: { path: { id } } })),
    cancelCampaign: (id: number) => data(c.POST('/api/v1/automation/campaigns/{id}/cancel', { params: { path: { id } } })),
    /** Only a finished or cancelled campaign (409 `wrong_state` otherwise). */
    removeCampaign: (id: number) => data(c.DELETE('/api/v1/automation/campaigns/{id}', { params: { path: { id } } })),
    /** The campaign's inbound webhook: its path and a new secret, shown in this answer only. */
    openInbound: (id: number) => data(c.POST('/api/v1/automation/campaigns/{id}/inbound', { params: { path: { id } } })),
    closeInbound: (id: number) => data(c.DELETE('/api/v1/automation/campaigns/{id}/inbound', { params: { path: { id } } })),
    /**
     * Starts signing a Telegram user account in by QR code (connector `telegram_user`). 503
     * `unavailable` (its message says why) when the server cannot sign Telegram accounts in at
     * all (no Telegram API credentials); Telegram out of reach is said in the sign-in (`unreachable`).
     */
    startTelegramLogin: (req: NewTelegramLogin) => data(c.POST('/api/v1/automation/logins', { body: req })),
    /** How the sign-in goes: the server asks Telegram each time (a new QR code, the scan, the end). 404: gone; 503 as above. */
    telegramLogin: (id: number) => data(c.GET('/api/v1/automation/logins/{id}', { params: { path: { id } } })),
    /** The account's two-step password; 422 `bad_credentials` (field `password`) when wrong, 409 `wrong_state` when not asked for. */
    telegramLoginPassword: (id: number, password: string) =>
      data(c.POST('/api/v1/automation/logins/{id}/password', { params: { path: { id } }, body: { password } })),
    cancelTelegramLogin: (id: number) => data(c.DELETE('/api/v1/automation/logins/{id}', { params: { path: { id } } })),

    // automation: the content pipeline (books → blocks → summaries → posts)
    /** My books, newest first. */
    sources: (cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/sources', { params: { query: { cursor: cursor || undefined, limit } } })),
    source: (id: number) => data(c.GET('/api/v1/automation/sources/{id}', { params: { path: { id } } })),
    /** A book uploaded to the files service first: answered at once, `extracting` (422 at `file_id`: not a book it reads). */
    addSource: (req: NewSource) => data(c.POST('/api/v1/automation/sources', { body: req })),
    /** 422 at `name`: 1 to 64 characters. */
    renameSource: (id: number, name: string) =>
      data(c.PATCH('/api/v1/automation/sources/{id}', { params: { path: { id } }, body: { name } })),
    removeSource: (id: number) => data(c.DELETE('/api/v1/automation/sources/{id}', { params: { path: { id } } })),
    sourceChapters: (id: number) => data(c.GET('/api/v1/automation/sources/{id}/chapters', { params: { path: { id } } })),
    /** A chapter's blocks in reading order, with their summaries. */
    sourceBlocks: (id: number, chapter: number, cursor?: string, limit = 10) =>
      data(c.GET('/api/v1/automation/sources/{id}/blocks', { params: { path: { id }, query: { chapter, cursor: cursor || undefined, limit } } })),
    summaryEstimate: (id: number) => data(c.GET('/api/v1/automation/sources/{id}/summaries/estimate', { params: { path: { id } } })),
    /** 409 `wrong_state` for a book that is not `ready`. */
    startSummaries: (id: number) => data(c.POST('/api/v1/automation/sources/{id}/summaries/start', { params: { path: { id } } })),
    stopSummaries: (id: number) => data(c.POST('/api/v1/automation/sources/{id}/summaries/stop', { params: { path: { id } } })),
    /** A post from the next unused summary (or `block_id`'s); 409 `wrong_state` when every summary has one. */
    makeContentPost: (id: number, req: NewContentPost = {}) =>
      data(c.POST('/api/v1/automation/sources/{id}/posts', { params: { path: { id } }, body: req })),
    /** A book's posts, newest first (only those in `state`, when given). */
    contentPosts: (sourceId: number, state?: string, cursor?: string, limit = 20) =>
      data(c.GET('/api/v1/automation/posts', { params: { query: { source_id: sourceId, state: state || undefined, cursor: cursor || undefined, limit } } })),
    /** New Markdown (422 at `markdown`) or state (`draft`, `approved`, `skipped`); 409 while `generating`. */
    changeContentPost: (id: number, change: ContentPostChange) =>
      data(c.PATCH('/api/v1/automation/posts/{id}', { params: { path: { id } }, body: change })),
    removeContentPost: (id: number) => data(c.DELETE('/api/v1/automation/posts/{id}', { params: { path: { id } } })),
    contentSettings: () => data(c.GET('/api/v1/automation/content/settings')),
    /** What is present is set; `api_key: ""` removes the key. */
    changeContentSettings: (change: ContentSettingsChange) => data(c.PATCH('/api/v1/automation/content/settings', { body: change })),

    // automation: autopost (schedules publish approved posts), statistics, alerts
    schedules: (cursor?: string, limit = 50) =>
      data(c.GET('/api/v1/automation/schedules', { params: { query: { cursor: cursor || undefined, limit } } })),
    schedule: (id: number) => data(c.GET('/api/v1/automation/schedules/{id}', { params: { path: { id } } })),
    /** Starts running; 422 at a field (`targets[0].chat_id`, `times`…). */
    createSchedule: (req: NewSchedule) => data(c.POST('/api/v1/automation/schedules', { body: req })),
    changeSchedule: (id: number, change: ScheduleChange) =>
      data(c.PATCH('/api/v1/automation/schedules/{id}', { params: { path: { id } }, body: change })),
    removeSchedule: (id: number) => data(c.DELETE('/api/v1/automation/schedules/{id}', { params: { path: { id } } })),
    /** 409 `wrong_state` when it already runs (or, for stop, is already stopped). */
    startSchedule: (id: number) => data(c.POST('/api/v1/automation/schedules/{id}/start', { params: { path: { id } } })),
    stopSchedule: (id: number) => data(c.POST('/api/v1/automation/schedules/{id}/stop', { params: { path: { id } } })),
    /** Publishes `post_id` (approved), or the next post, now. */
    publishNow: (id: number, postId?: number) =>
      data(c.POST('/api/v1/automation/schedules/{id}/publish', { params: { path: { id } }, body: postId === undefined ? {} : { post_id: postId } })),
    /** A schedule's publications, newest first. */
    scheduleLog: (id: number, cursor?: string, limit = 20) =>
      data(c.GET('/api/v1/automation/schedules/{id}/log', { params: { path: { id }, query: { cursor: cursor || undefined, limit } } })),
    republish: (id: number) => data(c.POST('/api/v1/automation/publications/{id}/republish', { params: { path: { id } } })),
    /** `days` (1 to 366) ending today in `tz`. */
    automationStats: (days: number, tz: string) => data(c.GET('/api/v1/automation/stats', { params: { query: { days, tz } } })),
    alertSettings: () => data(c.GET('/api/v1/automation/alerts/settings')),
    changeAlertSettings: (change: AlertSettingsChange) => data(c.PATCH('/api/v1/automation/alerts/settings', { body: change })),
    alerts: (cursor?: string, limit = 20) =>
      data(c.GET('/api/v1/automation/alerts', { params: { query: { cursor: cursor || undefined, limit } } })),
    testAlert: () => data(c.POST('/api/v1/automation/alerts/test')),

    // background jobs (administrators)
    jobsOverview: () => data(c.GET('/api/v1/admin/jobs')),
    jobs: (module: string, { state, queue, cursor, limit }: JobsQuery = {}) =>
      data(c.GET('/api/v1/admin/jobs/{module}', { params: { path: { module }, query: { state, queue: queue || undefined, cursor: cursor || undefined, limit } } })),
    job: (module: string, id: number) => data(c.GET('/api/v1/admin/jobs/{module}/{id}', { params: { path: { module, id } } })),
    retryJob: (module: string, id: number) => data(c.POST('/api/v1/admin/jobs/{module}/{id}/retry', { params: { path: { module, id } } })),
    cancelJob: (module: string, id: number) => data(c.POST('/api/v1/admin/jobs/{module}/{id}/cancel', { params: { path: { module, id } } })),
  };
}

export type Api = ReturnType<typeof endpoints>;

export const api = endpoints(client);
