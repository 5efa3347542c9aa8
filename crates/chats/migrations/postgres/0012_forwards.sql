-- A forwarded message: who wrote the original (docs/api.md, "Forwarding"). Its text,
-- entities and attachment are copied; an attachment's object is not (the card names it).
ALTER TABLE messages ADD COLUMN forwarded_from BIGINT;
