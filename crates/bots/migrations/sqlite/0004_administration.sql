-- The bot's role in each chat (owner, admin or member), from chats' events: chat_member
-- updates go to bots that administer the chat. The invite link exportChatInviteLink made
-- last (revoked when it makes the next, as Telegram's primary link).
ALTER TABLE bot_chats ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE bot_chats ADD COLUMN primary_invite TEXT;
