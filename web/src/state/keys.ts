export const keys = {
  chats: ['chats'] as const,
  chat: (id: number) => ['chat', id] as const,
  history: (id: number) => ['history', id] as const,
  /** The chat's messages that carry files, newest page first (a history of its own). */
  chatFiles: (id: number) => ['chat-files', id] as const,
  members: (id: number) => ['members', id] as const,
  /** Every chat's member list (a profile change renames the person in all of them). */
  allMembers: ['members'] as const,
  pins: (id: number) => ['pins', id] as const,
  invites: (id: number) => ['invites', id] as const,
  /** What an invite link leads to (`GET /invites/{code}`), for the join page. */
  invitePreview: (code: string) => ['invite', code] as const,
  /** Every invite link previewed (a decision on my request to join changes one). */
  invitePreviews: ['invite'] as const,
  /** People waiting to join a chat (its admins see them), oldest first, page by page. */
  joinRequests: (id: number) => ['join-requests', id] as const,
  /** Every chat's waiting people (after missed user events any of them may be out of date). */
  allJoinRequests: ['join-requests'] as const,
  /** How many wait to join a chat, as the latest `join_request.*` event said (set by events, never fetched). */
  joinPending: (id: number) => ['join-pending', id] as const,
  allJoinPending: ['join-pending'] as const,
  /** My requests to join that admins declined, each shown as a notice until dismissed (never fetched). */
  joinDeclined: ['join-declined'] as const,
  user: (id: number) => ['user', id] as const,
  /** Every profile fetched (a reconnect may have missed changes to any of them). */
  allUsers: ['user'] as const,
  me: ['me'] as const,
  /** My privacy settings (who may add me to groups). */
  privacy: ['privacy'] as const,
  /** The caller's use of the files service and its limits (404: the server has no files). */
  filesUsage: ['files-usage'] as const,
  /**
   * A token-less link to a file or one of its thumbnails, made through the message carrying it
   * (none for an avatar: chat and seq 0; expires); a picture's is asked for per version of the
   * message's card (`card`).
   */
  fileLink: (fileId: number, chatId = 0, seq = 0, variant = '', card = 0) => ['file-link', fileId, chatId, seq, variant, card] as const,
  /** The notification list, newest page first (404: the server has no notify service). */
  notifications: ['notifications'] as const,
  /** My chats with a notification setting of their own (levels and mutes). */
  chatNotify: ['notify-chats'] as const,
  /** Quiet hours and the default level per kind of chat. */
  notifySettings: ['notify-settings'] as const,
  /** The browsers that receive my push notifications. */
  pushBrowsers: ['push-browsers'] as const,
  /** This browser's push endpoint, if it has subscribed. */
  pushHere: ['push-here'] as const,
  /** My email notifications: address, confirmed or not, delay, digest (and whether the server sends email). */
  emailSettings: ['notify-email'] as const,
  /** My outgoing webhooks (404: a notify service older than them). */
  webhooks: ['notify-webhooks'] as const,
  /** A webhook's delivery log, newest page first. */
  webhookDeliveries: (id: number) => ['notify-webhooks', id, 'deliveries'] as const,
  /** My bots, a page at a time (404: the server has no bots service). */
  bots: ['bots'] as const,
  /** A bot's command menu in a language. */
  botCommands: (id: number, lang: string) => ['bot-commands', id, lang] as const,
  /** Everything of the automation screens (a 404 on the accounts: the server has no automation). */
  automation: ['automation'] as const,
  automationAccounts: ['automation', 'accounts'] as const,
  audiences: ['automation', 'audiences'] as const,
  audience: (id: number) => ['automation', 'audience', id] as const,
  audienceEntries: (id: number) => ['automation', 'audience', id, 'entries'] as const,
  parses: ['automation', 'parses'] as const,
  campaigns: ['automation', 'campaigns'] as const,
  campaign: (id: number) => ['automation', 'campaign', id] as const,
  /** A campaign's people and outcomes, page by page (the live log). */
  campaignContacts: (id: number) => ['automation', 'campaign', id, 'contacts'] as const,
  /** A Telegram account's QR sign-in under way (asked again every 2 s while it waits for the scan). */
  telegramLogin: (id: number) => ['automation', 'telegram-login', id] as const,
  /** My books (the content pipeline), newest first. */
  contentSources: ['automation', 'sources'] as const,
  /** A book; its chapters, blocks and posts are under it (an `automation.content_updated` frame invalidates them all). */
  contentSource: (id: number) => ['automation', 'source', id] as const,
  contentChapters: (id: number) => ['automation', 'source', id, 'chapters'] as const,
  /** A chapter's blocks, page by page. */
  contentBlocks: (id: number, chapter: number) => ['automation', 'source', id, 'blocks', chapter] as const,
  /** A book's posts, newest first: all of them (`state` ""), or those in one state. */
  contentPosts: (id: number, state = '') => ['automation', 'source', id, 'posts', state] as const,
  /** Every book's posts lists (a post changes them all). */
  contentPostLists: (id: number) => ['automation', 'source', id, 'posts'] as const,
  /** What summarising a book's remaining blocks would take (depends on the settings too). */
  contentEstimate: (id: number) => ['automation', 'estimate', id] as const,
  contentEstimates: ['automation', 'estimate'] as const,
  /** My AI provider and prompts. */
  contentSettings: ['automation', 'content-settings'] as const,
  /** My autopost schedules, newest first. */
  schedules: ['automation', 'schedules'] as const,
  /** A schedule; its log is under it (an `automation.autopost_updated` frame invalidates both). */
  schedule: (id: number) => ['automation', 'schedule', id] as const,
  scheduleLog: (id: number) => ['automation', 'schedule', id, 'log'] as const,
  /** The statistics dashboard: every range and time zone. */
  automationStats: ['automation', 'stats'] as const,
  automationStatsFor: (days: number, tz: string) => ['automation', 'stats', days, tz] as const,
  alertSettings: ['automation', 'alert-settings'] as const,
  alerts: ['automation', 'alerts'] as const,
  account: ['account'] as const,
  sessions: ['sessions'] as const,
  /** Everything of the background-jobs screen (its refresh button invalidates this prefix). */
  adminJobs: ['admin-jobs'] as const,
  jobsOverview: ['admin-jobs', 'overview'] as const,
  jobList: (module: string, state: string, queue: string, limit: number) => ['admin-jobs', 'list', module, state, queue, limit] as const,
};
