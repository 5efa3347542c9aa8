-- Service messages ("X joined", "group created", "title changed"): JSON {type, …} as
-- `ServiceAction` writes it; NULL for messages people wrote. They take a seq like any message,
-- so history, sync and unread counts see them in place.
ALTER TABLE messages ADD COLUMN action TEXT;
