-- A bot's buttons under its message (docs/bots.md, "Keyboards"): the JSON of an inline
-- keyboard, a reply keyboard, or the instruction to remove one. NULL for everything else.
ALTER TABLE messages ADD COLUMN reply_markup TEXT;
