-- A group's or channel's picture (JSON hybrid_chats_api::avatar::Avatar); NULL: none. Direct
-- chats have none: clients show the other member's.
ALTER TABLE chats ADD COLUMN avatar TEXT;
