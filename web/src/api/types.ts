/**
 * Types of the API, taken from the generated `schema.d.ts` (openapi-typescript over the
 * committed `openapi.json` snapshot, which a test keeps equal to what the server serves).
 */
import type { components } from './schema';

type S = components['schemas'];

export type ChatInfo = S['ChatInfo'];
export type ChatPage = S['Page_ChatInfo'];
export type ChatKind = S['ChatKind'];
export type Role = S['Role'];
export type Permission = S['Permission'];
export type Message = S['Message'];
/** A message by its chat and place (what a forward names). */
export type MessageAddress = S['MessageAddress'];
export type SendMessage = S['SendMessage'];
export type Entity = S['Entity'];
export type ReactionCount = S['ReactionCount'];
export type HistoryPage = S['HistoryPage'];
export type MemberInfo = S['MemberInfo'];
export type InviteLink = S['InviteLink'];
export type InvitePreview = S['InvitePreview'];
/** The 202 of following a link that needs approval: the person waits for an admin. */
export type JoinPending = S['JoinPending'];
/** A request to join, as the chat's admins see it (oldest first). */
export type JoinRequest = S['JoinRequest'];
export type JoinRequestPage = S['Page_JoinRequest'];
export type Profile = S['Profile'];
export type ProfileUpdate = S['ProfileUpdate'];
/** A profile's or chat's picture: its file and square thumbnail sides (docs/files.md, "Avatars"). */
export type AvatarInfo = S['Avatar'];
export type ProfilePage = S['Page_Profile'];
export type SessionInfo = S['SessionInfo'];
export type TokenResponse = S['TokenResponse'];
export type SearchPage = S['Page_Message'];
export type SyncResponse = S['SyncResponse'];
export type ChatSync = S['ChatSync'];
/** One service's part of a sync answer (its own entries and cursor). */
export type SyncPart = S['SyncPart'];
export type TotpSetupResponse = S['TotpSetupResponse'];
export type RevokedCount = S['RevokedCount'];
export type ReadMarker = S['ReadMarker'];
export type RegisterRequest = S['RegisterRequest'];
export type LoginRequest = S['LoginRequest'];
export type CreateChat = S['CreateChat'];
export type UpdateChat = S['UpdateChat'];
export type UpdateMember = S['UpdateMember'];
/** What a new or edited invite link admits (a PATCH replaces them all: absent fields remove their rule). */
export type InviteOptions = S['InviteOptions'];
export type SyncRequest = S['SyncRequest'];
export type AccountInfo = S['Account'];
export type Presence = S['Presence'];
export type ModuleJobs = S['ModuleJobs'];
export type QueueSummary = S['QueueSummary'];
export type JobInfo = S['JobInfo'];
export type JobState = S['JobState'];
export type JobPage = S['Page_JobInfo'];
export type Attachment = S['Attachment'];
export type FileInfo = S['FileInfo'];
export type FileLink = S['FileLink'];
export type Media = S['Media'];
export type ThumbnailInfo = S['ThumbnailInfo'];
export type Notification = S['Notification'];
export type NotificationKind = S['NotificationKind'];
export type NotificationPage = S['NotificationPage'];
/** A chat's notification setting: its own level and mute, if any (docs/notifications.md). */
export type ChatSetting = S['ChatSetting'];
export type ChatSettingUpdate = S['ChatSettingUpdate'];
export type Level = S['Level'];
export type LevelDefaults = S['LevelDefaults'];
export type NotifySettings = S['UserSettings'];
/** Who may add the user to groups and channels: `everyone`, `shared_chats` or `nobody`. */
export type AddPolicy = S['AddPolicy'];
export type QuietHours = S['QuietHours'];
/** A browser that receives the user's push notifications (as the server keeps it). */
export type PushBrowser = S['PushSubscription'];
export type NewPushSubscription = S['NewPushSubscription'];
/** The user's email notifications: the address and whether it is confirmed, what is sent. */
export type EmailSettings = S['EmailSettings'];
/** A change of them all (`PUT`): no address removes email. */
export type EmailSettingsUpdate = S['EmailSettingsUpdate'];
/** An outgoing webhook (`secret` only in the answer that made it). */
export type Webhook = S['Webhook'];
export type NewWebhook = S['NewWebhook'];
/** A delivery to a webhook and its attempts (newest last), for the delivery log. */
export type DeliveryLog = S['DeliveryLog'];
export type DeliveryPage = S['DeliveryPage'];
export type DeliveryState = S['DeliveryState'];
export type DeliveryAttempt = S['Attempt'];
/** A bot account as its owner sees it (`token` only in the answer that made it or a new one). */
export type Bot = S['Bot'];
export type BotPage = S['Page_Bot'];
export type NewBot = S['NewBot'];
export type BotUpdate = S['BotUpdate'];
/** A command of a bot's menu (without the slash). */
export type BotCommand = S['BotCommand'];
/** What a bot answered to a pressed button (`answered: false`: nothing in time). */
export type CallbackAnswer = S['CallbackAnswer'];
/** An account campaigns act through. Its secret is never shown. */
export type AutomationAccount = S['AutomationAccount'];
export type AutomationAccountPage = S['Page_AutomationAccount'];
export type NewAutomationAccount = S['NewAccount'];
export type AccountChange = S['AccountChange'];
/** A named, deduplicated list of people (phone numbers, usernames). */
export type Audience = S['Audience'];
export type AudiencePage = S['Page_Audience'];
export type NewAudience = S['NewAudience'];
export type AudienceImport = S['AudienceImport'];
/** A new audience and what its import took and refused. */
export type Imported = S['Imported'];
export type ImportReport = S['ImportReport'];
export type RejectedLine = S['RejectedLine'];
export type AudienceEntry = S['Entry'];
export type AudienceEntryPage = S['Page_Entry'];
/** The member parser filling an audience from a chat. */
export type Parse = S['Parse'];
export type ParsePage = S['Page_Parse'];
export type NewParse = S['NewParse'];
/** An invite campaign, with its progress per outcome. */
export type Campaign = S['Campaign'];
export type CampaignPage = S['Page_Campaign'];
export type NewCampaign = S['NewCampaign'];
export type CampaignProgress = S['Progress'];
/** One person of a campaign and what came of them. */
export type CampaignContact = S['Contact'];
export type CampaignContactPage = S['Page_Contact'];
/** A campaign's inbound webhook (`secret` shown in this answer only). */
export type InboundHook = S['InboundHook'];

/** A QR sign-in of a Telegram user account (connector `telegram_user`). */
export type TelegramLogin = S['TelegramLogin'];
export type NewTelegramLogin = S['NewTelegramLogin'];
export type TelegramLoginPassword = S['TelegramLoginPassword'];

/** A book of the content pipeline (docs/automation.md, "The content pipeline") and where it stands. */
export type ContentSource = S['ContentSource'];
export type ContentSourcePage = S['Page_ContentSource'];
export type NewSource = S['NewSource'];
/** How many of a book's blocks are summarised, whether a run goes on, and what it cost. */
export type SummaryProgress = S['SummaryProgress'];
/** What summarising a book's remaining blocks will take (asked before starting). */
export type SummaryEstimate = S['SummaryEstimate'];
export type ContentChapter = S['ContentChapter'];
/** A few thousand characters of a book cut at sentence ends, with its summary once it has one. */
export type ContentBlock = S['ContentBlock'];
export type ContentBlockPage = S['Page_ContentBlock'];
export type ContentSummary = S['ContentSummary'];
/** A post made from a summary: text and entities as a chat message carries them, and its Markdown. */
export type ContentPost = S['ContentPost'];
export type ContentPostPage = S['Page_ContentPost'];
export type ContentPostChange = S['ContentPostChange'];
export type NewContentPost = S['NewContentPost'];
export type TargetFit = S['TargetFit'];
/** The AI provider and prompts (the key is never shown: only whether one is set). */
export type ContentSettings = S['ContentSettings'];
export type ContentSettingsChange = S['ContentSettingsChange'];

/** An autopost schedule: approved posts published at set times of day to its targets (docs/automation.md, "Autopost"). */
export type Schedule = S['Schedule'];
export type SchedulePage = S['Page_Schedule'];
export type NewSchedule = S['NewSchedule'];
export type ScheduleChange = S['ScheduleChange'];
export type ScheduleTarget = S['Target'];
export type NewScheduleTarget = S['NewTarget'];
export type PublishNow = S['PublishNow'];
/** One post a schedule published (at a slot, now, or again), with a delivery per target. */
export type Publication = S['Publication'];
export type PublicationPage = S['Page_Publication'];
export type Delivery = S['Delivery'];
/** The automation's numbers over a range of days. */
export type Stats = S['Stats'];
export type StatsDay = S['StatsDay'];
export type CampaignStats = S['CampaignStats'];
export type AccountUsage = S['AccountUsage'];
export type QueueDepth = S['QueueDepth'];
/** Where alerts go and which are sent. */
export type AlertSettings = S['AlertSettings'];
export type AlertSettingsChange = S['AlertSettingsChange'];
export type AlertKinds = S['AlertKinds'];
export type Alert = S['Alert'];
export type AlertPage = S['Page_Alert'];
